"""Git fetch: what a fetch needs, found along the first-parent line back to the client's haves."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterable, Iterator, Mapping

from dulwich.object_store import (
    BaseObjectStore,
    DiskObjectStore,
    GraphWalker,
    MissingObjectFinder,
)
from dulwich.objects import S_ISGITLINK, Blob, Commit, ObjectID, RawObjectID, Tree
from dulwich.pack import PackHint, UnpackedObject
from dulwich.refs import Ref
from dulwich.repo import Repo

__all__ = ["LineRepo", "objects_after"]

Found = dict[ObjectID, PackHint | None]


class _Found(MissingObjectFinder):
    """Objects already found, handed to dulwich's upload-pack as its finder would be."""

    def __init__(self, found: Found) -> None:  # no walk: `found` is the answer
        self._pending = iter(list(found.items()))

    def __next__(self) -> tuple[ObjectID, PackHint | None]:
        return next(self._pending)

    def __iter__(self) -> Iterator[tuple[ObjectID, PackHint | None]]:
        return self


def _tree_changes(
    store: BaseObjectStore, new: ObjectID, old: ObjectID | None, found: Found
) -> None:
    """Add `new` and what under it is not at the same path in `old` (the parent's tree).

    A tree found already was gone through then against a parent already covered, so it is
    covered: it is not gone through again.
    """
    if new == old or new in found:
        return
    found[new] = (Tree.type_num, None)
    tree = store[new]
    before = store[old] if old is not None else None
    assert isinstance(tree, Tree) and (before is None or isinstance(before, Tree))
    was = {name: (mode, sha) for name, mode, sha in before.iteritems()} if before else {}
    for name, mode, sha in tree.iteritems():
        assert name is not None and mode is not None and sha is not None
        old_mode, old_sha = was.get(name, (0, None))
        if sha == old_sha or S_ISGITLINK(mode):
            continue
        if stat.S_ISDIR(mode):
            _tree_changes(store, sha, old_sha if stat.S_ISDIR(old_mode) else None, found)
        elif sha not in found:
            found[sha] = (Blob.type_num, name)


def _commit(store: BaseObjectStore, sha: ObjectID) -> Commit | None:
    try:
        found = store[sha]
    except KeyError:
        return None
    return found if isinstance(found, Commit) else None


def objects_after(
    store: BaseObjectStore, wants: Iterable[ObjectID], haves: Iterable[ObjectID]
) -> Found | None:
    """Return the objects of the commits from each want back to a have, on one-parent lines.

    Each want's line is walked back to the first commit the client has: those commits, and
    in each the trees and files that differ from its parent's, are what it lacks (it holds
    everything a commit it has reaches). They are gone through oldest first, so a parent
    is always covered, by the client or by what was found before it. The walk costs what
    is new, not the history. None when that does not hold: a want that is not a commit, a
    merge on the way, or a line that meets no have (dulwich's own finder then answers).
    """
    common = set(haves)
    found: Found = {}
    for want in wants:
        line: list[tuple[ObjectID, Commit, Commit]] = []  # newest first
        commit = _commit(store, want)
        while commit is not None and commit.id not in common and commit.id not in found:
            parent = _commit(store, commit.parents[0]) if len(commit.parents) == 1 else None
            if parent is None:
                return None
            line.append((commit.id, commit, parent))
            commit = parent
        if commit is None:
            return None
        for sha, new, old in reversed(line):
            found[sha] = (Commit.type_num, None)
            _tree_changes(store, new.tree, old.tree, found)
    return found


class _PackLookups(DiskObjectStore):
    """An object store that finds a few packed objects by their index, not by a pass.

    Dulwich looks for deltas to reuse by reading every object of every pack (to find the
    few it sends): that costs the history. Up to an eighth of the objects are looked up
    one by one in the packs' indexes instead.
    """

    def iter_unpacked_subset(
        self,
        shas: Iterable[ObjectID | RawObjectID],
        *,
        include_comp: bool = False,
        allow_missing: bool = False,
        convert_ofs_delta: bool = True,
    ) -> Iterator[UnpackedObject]:
        wanted, packs = set(shas), self.packs
        if len(wanted) * 8 > sum(len(pack) for pack in packs):
            yield from super().iter_unpacked_subset(
                wanted,
                include_comp=include_comp,
                allow_missing=allow_missing,
                convert_ofs_delta=convert_ofs_delta,
            )
            return
        for sha in wanted:
            pack = next((pack for pack in packs if sha in pack), None)
            if pack is not None:
                yield pack.get_unpacked_object(
                    sha, include_comp=include_comp, convert_ofs_delta=convert_ofs_delta
                )
            elif not allow_missing:
                raise KeyError(sha)


class LineRepo(Repo):
    """A repository whose upload-pack finds a fetch's objects with `objects_after`, and
    the stored deltas it can send again by their packs' indexes (`_PackLookups`).

    Only for requests without depth or shallow lines: a shallow fetch is dulwich's to walk.
    """

    def __init__(self, root: str) -> None:
        super().__init__(root)
        opened = self.object_store
        self.object_store = _PackLookups.from_config(opened.path, self.get_config())
        opened.close()

    def find_missing_objects(
        self,
        determine_wants: Callable[[Mapping[Ref, ObjectID], int | None], list[ObjectID]],
        graph_walker: GraphWalker,
        progress: Callable[[bytes], None] | None,
        *,
        get_tagged: Callable[[], dict[ObjectID, ObjectID]] | None = None,
        depth: int | None = None,
    ) -> MissingObjectFinder | None:
        store = self.object_store
        refs = {ref: sha for ref, sha in self.get_refs().items() if sha in store}
        wants = determine_wants(refs, depth)
        if not wants:
            return MissingObjectFinder(store, haves=[], wants=[])
        haves = store.find_common_revisions(graph_walker)
        found = objects_after(store, wants, haves)
        if found is not None:
            return _Found(found)
        return MissingObjectFinder(
            store, haves=haves, wants=wants, progress=progress, get_tagged=get_tagged
        )
