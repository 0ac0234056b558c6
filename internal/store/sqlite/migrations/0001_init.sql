-- 0001: roam's initial schema.
--
-- Conventions:
--   * One table per aggregate. Key columns are real, indexed columns; nested
--     data (tags, notification settings, attribute mappings, subject
--     histories, policy versions, ...) is JSON text.
--   * seq is an AUTOINCREMENT key: it gives creation order, is never reused,
--     and is the keyset for pagination of creation-ordered listings.
--   * Times are INTEGER microseconds since the Unix epoch (UTC).
--   * Booleans are INTEGER 0/1.
--   * Names that IAM treats case-insensitively are unique on name_key, the
--     name lower-cased by the Go code (strings.ToLower).

-- meta holds per-database values the code needs, such as the key that
-- authenticates page tokens.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

INSERT INTO meta (key, value) VALUES ('page_token_key', randomblob(32));

-- change_version is the counter behind Store.Version. It is bumped in the
-- same transaction as every change to anchors, profiles, CRLs, roles,
-- policies and the keyring.
CREATE TABLE change_version (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    value     INTEGER NOT NULL
) STRICT;

INSERT INTO change_version (singleton, value) VALUES (1, 1);

CREATE TABLE account (
    singleton              INTEGER PRIMARY KEY CHECK (singleton = 1),
    id                     TEXT    NOT NULL,
    region                 TEXT    NOT NULL,
    partition              TEXT    NOT NULL,
    root_access_key_id     TEXT    NOT NULL,
    root_secret_access_key TEXT    NOT NULL,
    created_at             INTEGER NOT NULL
) STRICT;

CREATE TABLE sealing_keys (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    key        BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    retired    INTEGER NOT NULL CHECK (retired IN (0, 1))
) STRICT;

CREATE TABLE trust_anchors (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT    NOT NULL UNIQUE,
    name                  TEXT    NOT NULL,
    source_type           TEXT    NOT NULL,
    source_data           TEXT    NOT NULL,
    enabled               INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    notification_settings TEXT    NOT NULL, -- JSON []NotificationSetting
    tags                  TEXT    NOT NULL, -- JSON []Tag
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
) STRICT;

CREATE TABLE profiles (
    seq                         INTEGER PRIMARY KEY AUTOINCREMENT,
    id                          TEXT    NOT NULL UNIQUE,
    name                        TEXT    NOT NULL,
    enabled                     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    role_arns                   TEXT    NOT NULL, -- JSON []string
    managed_policy_arns         TEXT    NOT NULL, -- JSON []string
    session_policy              TEXT    NOT NULL,
    duration_seconds            INTEGER NOT NULL,
    require_instance_properties INTEGER NOT NULL CHECK (require_instance_properties IN (0, 1)),
    accept_role_session_name    INTEGER NOT NULL CHECK (accept_role_session_name IN (0, 1)),
    attribute_mappings          TEXT    NOT NULL, -- JSON []AttributeMapping
    created_by                  TEXT    NOT NULL,
    tags                        TEXT    NOT NULL, -- JSON []Tag
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL
) STRICT;

-- A CRL belongs to the trust anchor it names and is deleted with it.
CREATE TABLE crls (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    enabled         INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    data            BLOB    NOT NULL,
    trust_anchor_id TEXT    NOT NULL REFERENCES trust_anchors (id) ON DELETE CASCADE,
    tags            TEXT    NOT NULL, -- JSON []Tag
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX crls_trust_anchor_id ON crls (trust_anchor_id);

CREATE TABLE subjects (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT    NOT NULL UNIQUE,
    x509_subject        TEXT    NOT NULL,
    enabled             INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    last_seen_at        INTEGER NOT NULL,
    credentials         TEXT    NOT NULL, -- JSON []CredentialUse, most recent first
    instance_properties TEXT    NOT NULL, -- JSON []InstanceProperties, most recent first
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;

-- Roles list by name, so name_key (not seq) is their keyset.
CREATE TABLE roles (
    seq                         INTEGER PRIMARY KEY AUTOINCREMENT,
    name                        TEXT    NOT NULL,
    name_key                    TEXT    NOT NULL UNIQUE,
    id                          TEXT    NOT NULL,
    path                        TEXT    NOT NULL,
    assume_role_policy_document TEXT    NOT NULL,
    description                 TEXT    NOT NULL,
    max_session_duration        INTEGER NOT NULL,
    tags                        TEXT    NOT NULL, -- JSON []Tag
    inline_policies             TEXT    NOT NULL, -- JSON map name -> document
    attached_policy_arns        TEXT    NOT NULL, -- JSON []string, attach order
    created_at                  INTEGER NOT NULL
) STRICT;

CREATE TABLE policies (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL,
    name_key         TEXT    NOT NULL UNIQUE,
    id               TEXT    NOT NULL,
    path             TEXT    NOT NULL,
    description      TEXT    NOT NULL,
    tags             TEXT    NOT NULL, -- JSON []Tag
    versions         TEXT    NOT NULL, -- JSON []PolicyVersion
    attachment_count INTEGER NOT NULL CHECK (attachment_count >= 0),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
