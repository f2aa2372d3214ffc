"""Trees: git trees read along one path only: lookups, what a commit changed there, checks."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from dulwich.object_store import BaseObjectStore
from dulwich.objects import Blob, ObjectID, Tree, object_header, parse_tree

from .commits import StoreError

__all__ = ["Audit", "Trees"]

# An archive's tree holds every article, but a commit changes one file (and its capture), so
# everything here walks the few small trees on that path and never a whole tree.

_DIR_MODE = 0o040000


def _raw(objects: BaseObjectStore, sha: bytes, kind: int) -> bytes:
    try:
        type_num, data = objects.get_raw(ObjectID(sha))
    except KeyError:
        raise StoreError(f"object {sha.decode()} is missing") from None
    if type_num != kind:
        what = "directory" if kind == Tree.type_num else "file"
        raise StoreError(f"object {sha.decode()} is not a {what}")
    return data


@dataclass
class Audit:
    """What a commit did along its paths: which of them changed, anything else, problems."""

    changed: dict[bytes, bytes] = field(default_factory=dict)  # path -> its new file's sha
    elsewhere: list[bytes] = field(default_factory=list)  # paths changed that it should not
    problems: list[str] = field(default_factory=list)


_Entries = dict[bytes, tuple[int, bytes]]
_KEYS = 512  # trees kept parsed: those on the last commits' paths, which the next ones share


class Trees:
    """Reads trees from an object store, keeping the last ones parsed (thread-safe)."""

    def __init__(self, objects: BaseObjectStore) -> None:
        self.objects = objects
        self._parsed: OrderedDict[bytes, _Entries] = OrderedDict()
        self._lock = threading.Lock()

    def entries(self, sha: bytes | None) -> _Entries:
        """Return a tree's entries, name -> (mode, hex sha); none for no tree."""
        if sha is None:
            return {}
        with self._lock:
            found = self._parsed.get(sha)
            if found is not None:
                self._parsed.move_to_end(sha)
                return found
        return self._keep(sha, _raw(self.objects, sha, Tree.type_num))

    def _keep(self, sha: bytes, data: bytes) -> _Entries:
        found = {name: (mode, hexsha) for name, mode, hexsha in parse_tree(data, 20)}
        with self._lock:
            self._parsed[sha] = found
            if len(self._parsed) > _KEYS:
                self._parsed.popitem(last=False)
        return found

    def lookup(self, tree: bytes, path: bytes) -> bytes | None:
        """Return the hex sha of the file at `path` in a tree, or None if there is none."""
        *folders, name = path.split(b"/")
        sha: bytes | None = tree
        for part in folders:
            mode, sha = self.entries(sha).get(part, (0, None))
            if sha is None or mode != _DIR_MODE:
                return None
        mode, found = self.entries(sha).get(name, (0, None))
        return None if found is None or mode == _DIR_MODE else found

    def audit(self, new: bytes, old: bytes | None, paths: list[bytes]) -> Audit:
        """Compare tree `new` with `old` along `paths` only, checking each new object on them.

        Every other entry of every tree on the paths must be the same in both: then the
        commit changed nothing but these paths, and the objects checked are all it added.
        """
        audit = Audit()
        self._walk(new, old, [p.split(b"/") for p in paths], b"", audit)
        return audit

    def _check(self, sha: bytes, kind: int, audit: Audit) -> _Entries | None:
        """Check that an object hashes to its name; return a tree's entries (None if unsound).

        (What git fsck checks in a commit or tree, fsck.py checks in every stored object.)
        """
        try:
            data = _raw(self.objects, sha, kind)
            if hashlib.sha1(object_header(kind, len(data)) + data).hexdigest().encode() != sha:
                raise StoreError("its content does not hash to its name")
            if kind == Tree.type_num:
                return self._keep(sha, data)
        except Exception as exc:  # any failure is a finding, not a crash
            audit.problems.append(f"object {sha.decode()}: {exc}")
        return None

    def _walk(
        self, new: bytes, old: bytes | None, wanted: list[list[bytes]], prefix: bytes, audit: Audit
    ) -> None:
        if new == old:
            return
        ours = self._check(new, Tree.type_num, audit)
        try:
            theirs = self.entries(old)
        except Exception as exc:  # any failure is a finding, not a crash
            audit.problems.append(f"object {(old or b'').decode()}: {exc}")
            return
        if ours is None:
            return
        heads = {parts[0]: [p[1:] for p in wanted if p[0] == parts[0]] for parts in wanted}
        for name in sorted(ours.keys() | theirs.keys()):
            mine, before = ours.get(name), theirs.get(name)
            if mine == before:
                continue
            below = heads.get(name)
            if below is None or mine is None:
                audit.elsewhere.append(prefix + name)
            elif [] in below:  # the file itself
                if mine[0] == _DIR_MODE:
                    audit.elsewhere.append(prefix + name)
                    continue
                audit.changed[prefix + name] = mine[1]
                self._check(mine[1], Blob.type_num, audit)
            elif mine[0] != _DIR_MODE:
                audit.elsewhere.append(prefix + name)
            else:
                old_sha = before[1] if before and before[0] == _DIR_MODE else None
                self._walk(mine[1], old_sha, below, prefix + name + b"/", audit)
