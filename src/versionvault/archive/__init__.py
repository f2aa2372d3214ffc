"""Archive layer: the git store, the index derived from it, imports, and the Vault facade."""

from .alerts import Notifier, Options, alert_status, notify_in_background, send, start_queue
from .blame import Blame, blame_of
from .commits import CommitRecord, Identity, InvalidIdentity, StoreError
from .editors import (
    Editor,
    EditorError,
    RevokedToken,
    UnknownToken,
    add_editor,
    authenticate,
    load_editors,
    revoke_editor,
)
from .errors import (
    ArticleNotFound,
    DiskFull,
    ImportStopped,
    InvalidInput,
    RevisionNotFound,
    StaleRevision,
    VaultError,
)
from .events import EVENT_LABELS, EVENTS, with_returns
from .importer import IMPORT_BATCH
from .index import Index
from .maintenance import push, repo_size, write_bundle_file
from .notify import Message, Rule, add_rule, load_rules, remove_rule, site_base_url
from .packing import pack_count, repack
from .replica import ReadOnlyReplica, Synced, primary_site
from .revise import MAX_INPUT_BYTES, parse_time
from .rows import ArticleRow, Event, Revision
from .search import MATCH_CAP, Matches
from .secrets import RedactFilter, has_credentials, redact
from .settings import (
    Source,
    SourceSettings,
    add_mirror,
    add_source,
    load_sources,
    sample_sources_text,
    save_sources,
)
from .store import ConcurrentUpdate, Store
from .vault import EXTRACTION, Diff, SaveResult, Vault, default_home

__all__ = [
    "EVENTS",
    "EVENT_LABELS",
    "EXTRACTION",
    "IMPORT_BATCH",
    "MATCH_CAP",
    "MAX_INPUT_BYTES",
    "ArticleNotFound",
    "ArticleRow",
    "Blame",
    "CommitRecord",
    "ConcurrentUpdate",
    "Diff",
    "DiskFull",
    "Editor",
    "EditorError",
    "Event",
    "Identity",
    "ImportStopped",
    "Index",
    "InvalidIdentity",
    "InvalidInput",
    "Matches",
    "Message",
    "Notifier",
    "Options",
    "ReadOnlyReplica",
    "RedactFilter",
    "Revision",
    "RevisionNotFound",
    "RevokedToken",
    "Rule",
    "SaveResult",
    "Source",
    "SourceSettings",
    "StaleRevision",
    "Store",
    "StoreError",
    "Synced",
    "UnknownToken",
    "Vault",
    "VaultError",
    "add_editor",
    "add_mirror",
    "add_rule",
    "add_source",
    "alert_status",
    "authenticate",
    "blame_of",
    "default_home",
    "has_credentials",
    "load_editors",
    "load_rules",
    "load_sources",
    "notify_in_background",
    "pack_count",
    "parse_time",
    "primary_site",
    "push",
    "redact",
    "remove_rule",
    "repack",
    "repo_size",
    "revoke_editor",
    "sample_sources_text",
    "save_sources",
    "send",
    "site_base_url",
    "start_queue",
    "with_returns",
    "write_bundle_file",
]
