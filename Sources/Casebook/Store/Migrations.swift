import GRDB

/// The schema, as append-only named migrations. A shipped migration is never edited; a change is
/// a new migration. Docs/StorageFormat.md describes every table (a test keeps the two in step).
enum Migrations {
    /// The storage format this build reads and writes (`casebook_meta.format_version`).
    static let formatVersion = 3

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE casebook_meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO casebook_meta (key, value) VALUES ('format_version', '1');

                    CREATE TABLE collection (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        dimension INTEGER NOT NULL CHECK (dimension > 0),
                        metric TEXT NOT NULL,
                        embedder TEXT NOT NULL,
                        index_config TEXT NOT NULL,
                        created_at REAL NOT NULL
                    );

                    CREATE TABLE precedent (
                        pk INTEGER PRIMARY KEY,
                        collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
                        tenant TEXT NOT NULL,
                        id TEXT NOT NULL,
                        category TEXT,
                        decision_event_id TEXT,
                        context TEXT NOT NULL,
                        text TEXT,
                        outcome TEXT,
                        was_successful INTEGER,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        UNIQUE (collection_id, tenant, id)
                    );

                    CREATE TABLE precedent_tag (
                        precedent_pk INTEGER NOT NULL REFERENCES precedent(pk) ON DELETE CASCADE,
                        tag TEXT NOT NULL,
                        PRIMARY KEY (precedent_pk, tag)
                    ) WITHOUT ROWID;
                    CREATE INDEX precedent_tag_by_tag ON precedent_tag (tag, precedent_pk);

                    CREATE TABLE precedent_vector (
                        precedent_pk INTEGER PRIMARY KEY REFERENCES precedent(pk) ON DELETE CASCADE,
                        data BLOB NOT NULL
                    );
                    """)
        }
        // IVF: the trained quantizer of a collection and each row's list. Additive: a file
        // without IVF collections reads the same as before.
        migrator.registerMigration("v2-ivf") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ivf_index (
                        collection_id INTEGER PRIMARY KEY REFERENCES collection(id) ON DELETE CASCADE,
                        nlist INTEGER NOT NULL CHECK (nlist > 0),
                        centroid_dimension INTEGER NOT NULL CHECK (centroid_dimension > 0),
                        centroids BLOB NOT NULL,
                        pca_mean BLOB,
                        pca_components BLOB,
                        added_since_training INTEGER NOT NULL DEFAULT 0,
                        training TEXT NOT NULL
                    );

                    CREATE TABLE ivf_assignment (
                        precedent_pk INTEGER PRIMARY KEY REFERENCES precedent(pk) ON DELETE CASCADE,
                        list INTEGER NOT NULL CHECK (list >= 0)
                    );
                    """)
        }
        // The match log: searches with what they showed, uses of what was shown, and the outcomes
        // of decisions. Additive, like v2-ivf. Precedents are named by id, not key: a log entry
        // outlives the precedent it showed.
        migrator.registerMigration("v3-matches") { db in
            try db.execute(
                sql: """
                    CREATE TABLE match_query (
                        pk INTEGER PRIMARY KEY,
                        query_id TEXT NOT NULL UNIQUE,
                        collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
                        tenant TEXT NOT NULL,
                        actor TEXT,
                        decision_id TEXT,
                        filter TEXT,
                        k INTEGER NOT NULL,
                        nprobe INTEGER,
                        exact INTEGER NOT NULL,
                        reranked INTEGER NOT NULL,
                        took_ms REAL NOT NULL,
                        embedder TEXT NOT NULL,
                        index_version TEXT NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX match_query_by_tenant ON match_query (collection_id, tenant, created_at);
                    CREATE INDEX match_query_by_time ON match_query (created_at);

                    CREATE TABLE match_shown (
                        query_pk INTEGER NOT NULL REFERENCES match_query(pk) ON DELETE CASCADE,
                        rank INTEGER NOT NULL CHECK (rank >= 1),
                        precedent_id TEXT NOT NULL,
                        score REAL NOT NULL,
                        similarity REAL,
                        PRIMARY KEY (query_pk, rank)
                    ) WITHOUT ROWID;
                    CREATE INDEX match_shown_by_precedent ON match_shown (precedent_id);

                    CREATE TABLE match_use (
                        pk INTEGER PRIMARY KEY,
                        query_pk INTEGER NOT NULL REFERENCES match_query(pk) ON DELETE CASCADE,
                        tenant TEXT NOT NULL,
                        event_id TEXT,
                        precedent_id TEXT NOT NULL,
                        rank INTEGER NOT NULL,
                        use_type TEXT NOT NULL CHECK (use_type IN ('viewed', 'cited', 'applied', 'rejected')),
                        actor TEXT,
                        decision_id TEXT,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX match_use_by_query ON match_use (query_pk, precedent_id);
                    CREATE UNIQUE INDEX match_use_by_event ON match_use (tenant, event_id) WHERE event_id IS NOT NULL;
                    CREATE INDEX match_use_by_decision ON match_use (tenant, decision_id) WHERE decision_id IS NOT NULL;

                    CREATE TABLE decision_outcome (
                        tenant TEXT NOT NULL,
                        decision_id TEXT NOT NULL,
                        outcome TEXT,
                        was_successful INTEGER,
                        recorded_at REAL NOT NULL,
                        PRIMARY KEY (tenant, decision_id)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v4-policy-version") { db in
            // Additive: older builds read and write the file unchanged (their rows get NULL).
            try db.execute(
                sql: """
                    ALTER TABLE precedent ADD COLUMN policy_version TEXT;
                    """)
        }
        // The change feed: a serving process sees what another process committed to the same
        // file (see SQLiteStore+Following). Additive: older builds ignore the table; their writes
        // add no rows to it, and a process following the file sees those only when it reopens.
        migrator.registerMigration("v5-change-feed") { db in
            try db.execute(
                sql: """
                    CREATE TABLE change (
                        position INTEGER PRIMARY KEY,
                        collection_id INTEGER NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('collection', 'upsert', 'delete', 'training', 'outcome')),
                        tenant TEXT,
                        ids TEXT NOT NULL DEFAULT '[]',
                        keys TEXT NOT NULL DEFAULT '[]',
                        committed_at REAL NOT NULL
                    );
                    """)
        }
        // What was decided (`precedent.action`), and what suggestions recommended and decisions
        // did, so the recorder can tell followed suggestions from the others. Additive: older
        // builds leave these NULL.
        migrator.registerMigration("v6-action") { db in
            try db.execute(
                sql: """
                    ALTER TABLE precedent ADD COLUMN action TEXT;
                    ALTER TABLE match_query ADD COLUMN suggestion INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE match_query ADD COLUMN recommended_action TEXT;
                    ALTER TABLE decision_outcome ADD COLUMN action TEXT;
                    """)
        }
        // Document frequencies of hashed features per collection and tenant (feature 0: the
        // documents counted), which weigh a query's features. Additive: collections stored
        // before it weigh queries as they did and keep no counts.
        migrator.registerMigration("v7-feature-frequency") { db in
            try db.execute(
                sql: """
                    CREATE TABLE feature_frequency (
                        collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
                        tenant TEXT NOT NULL,
                        feature INTEGER NOT NULL,
                        documents INTEGER NOT NULL,
                        PRIMARY KEY (collection_id, tenant, feature)
                    ) WITHOUT ROWID;
                    """)
        }
        // Format 2: a precedent vector may be stored in the sparse layout (VectorBlob), which a
        // format-1 build would misread; raising the version makes such builds refuse the file.
        migrator.registerMigration("v8-sparse-vectors") { db in
            try db.execute(sql: "UPDATE casebook_meta SET value = '2' WHERE key = 'format_version'")
        }
        // Every write asks whether the collection was re-embedded or trained since its state was
        // read: trainings are few among the changes, so they get an index of their own. Additive.
        migrator.registerMigration("v9-training-changes") { db in
            try db.execute(sql: "CREATE INDEX change_training ON change (collection_id, position) WHERE kind = 'training'")
        }
        // Format 3: a tenant's feature frequencies are one packed value (PackedFrequencies) until
        // they outgrow it, then rows of feature_frequency as before. Each tenant holding counts
        // has one row here saying which: `packed`, or NULL for rows. Every tenant counted before
        // is in rows. A format-2 build would read no packed counts, so it must refuse the file.
        migrator.registerMigration("v10-packed-frequencies") { db in
            try db.execute(
                sql: """
                    CREATE TABLE feature_frequency_tenant (
                        collection_id INTEGER NOT NULL REFERENCES collection(id) ON DELETE CASCADE,
                        tenant TEXT NOT NULL,
                        packed BLOB,
                        PRIMARY KEY (collection_id, tenant)
                    );
                    INSERT INTO feature_frequency_tenant (collection_id, tenant, packed)
                        SELECT DISTINCT collection_id, tenant, NULL FROM feature_frequency;
                    UPDATE casebook_meta SET value = '3' WHERE key = 'format_version';
                    """)
        }
        return migrator
    }
}
