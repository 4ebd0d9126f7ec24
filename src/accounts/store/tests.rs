use super::*;
use crate::accounts::testing::TempDir;
use std::os::unix::fs::PermissionsExt;

#[test]
fn open_creates_a_private_directory_and_a_current_schema() {
    let dir = TempDir::new("create");
    let state = dir.0.join("nested/state");
    let store = Store::open(&state).unwrap();
    assert_eq!(store.path(), state.join("chatd.db"));
    assert!(store.path().is_file());
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(store.load_all().unwrap().is_empty());
    let journal: String = store.connection.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(journal, "wal");
    let synchronous: i64 = store.connection.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!(synchronous, 2, "FULL");
    let foreign_keys: i64 = store.connection.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(foreign_keys, 1);
}

#[test]
fn an_existing_directory_keeps_its_mode() {
    let dir = TempDir::new("keep");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o750)).unwrap();
    Store::open(&dir.0).unwrap();
    assert_eq!(std::fs::metadata(&dir.0).unwrap().permissions().mode() & 0o777, 0o750);
}

#[test]
fn a_directory_that_cannot_be_made_is_a_clear_error() {
    let error = Store::open(Path::new("/proc/chatd-cannot-be-here")).unwrap_err();
    assert!(matches!(error, StoreError::Directory(_)), "{error:?}");
    assert!(error.to_string().contains("/proc/chatd-cannot-be-here"), "{error}");
    let dir = TempDir::new("file");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join("plain"), "x").unwrap();
    assert!(Store::open(&dir.0.join("plain")).is_err());
}

#[test]
fn accounts_survive_reopening() {
    let dir = TempDir::new("reopen");
    {
        let store = Store::open(&dir.0).unwrap();
        store.create("Alice", "$phc$a", 1_700_000_000_000).unwrap();
        store.create("bob", "$phc$b", 5).unwrap();
        store.set_disabled("bob", true).unwrap();
    }
    let store = Store::open(&dir.0).unwrap();
    let all = store.load_all().unwrap();
    assert_eq!(
        all,
        vec![
            Record { name: "Alice".into(), phc: "$phc$a".into(), created: 1_700_000_000_000, disabled: false },
            Record { name: "bob".into(), phc: "$phc$b".into(), created: 5, disabled: true },
        ]
    );
}

#[test]
fn names_are_unique_whatever_their_case_and_must_be_nicknames() {
    let dir = TempDir::new("unique");
    let store = Store::open(&dir.0).unwrap();
    let alice = store.create("Alice", "h", 1).unwrap();
    assert_eq!(alice, Record { name: "Alice".into(), phc: "h".into(), created: 1, disabled: false });
    assert_eq!(store.create("ALICE", "h2", 2), Err(CreateError::Exists));
    assert_eq!(store.find("aLiCe").unwrap().map(|r| r.phc), Some("h".to_string()));
    assert!(matches!(store.create("1abc", "h", 1), Err(CreateError::Invalid(_))));
    assert!(matches!(store.create("", "h", 1), Err(CreateError::Invalid(_))));
    assert!(matches!(store.create("a b", "h", 1), Err(CreateError::Invalid(_))));
    assert_eq!(store.find("not valid").unwrap(), None);
    assert_eq!(store.load_all().unwrap().len(), 1);
}

#[test]
fn changes_apply_to_the_named_account_and_missing_ones_are_errors() {
    let dir = TempDir::new("change");
    let store = Store::open(&dir.0).unwrap();
    store.create("carol", "old", 1).unwrap();
    store.create("dave", "dave's", 1).unwrap();
    assert_eq!(store.set_password("CAROL", "new").unwrap().phc, "new");
    assert!(store.set_disabled("carol", true).unwrap().disabled);
    assert!(!store.set_disabled("Carol", false).unwrap().disabled);
    assert_eq!(store.find("dave").unwrap().unwrap().phc, "dave's");
    for missing in ["erin", "bad name"] {
        assert_eq!(store.set_password(missing, "x"), Err(StoreError::NotFound(missing.into())));
        assert_eq!(store.set_disabled(missing, true), Err(StoreError::NotFound(missing.into())));
        assert_eq!(store.delete(missing), Err(StoreError::NotFound(missing.into())));
    }
    store.delete("Carol").unwrap();
    assert_eq!(store.delete("carol"), Err(StoreError::NotFound("carol".into())));
    assert_eq!(store.load_all().unwrap().iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["dave"]);
    assert_eq!(StoreError::NotFound("erin".into()).to_string(), "no account is named erin");
}

#[test]
fn data_version_moves_only_for_other_connections() {
    let dir = TempDir::new("version");
    let server = Store::open(&dir.0).unwrap();
    let before = server.data_version().unwrap();
    server.create("own", "h", 1).unwrap();
    assert_eq!(server.data_version().unwrap(), before, "its own commits do not count");
    let operator = Store::open(&dir.0).unwrap();
    operator.create("other", "h", 1).unwrap();
    let after = server.data_version().unwrap();
    assert_ne!(after, before);
    assert_eq!(server.data_version().unwrap(), after);
    assert_eq!(server.load_all().unwrap().len(), 2);
}

#[test]
fn a_newer_schema_is_refused_and_an_older_one_migrated() {
    let dir = TempDir::new("schema");
    Store::open(&dir.0).unwrap();
    {
        let raw = Connection::open(dir.0.join("chatd.db")).unwrap();
        raw.execute("UPDATE schema_version SET version = ?1", [SCHEMA_VERSION + 1]).unwrap();
    }
    let error = Store::open(&dir.0).unwrap_err();
    assert_eq!(error, StoreError::TooNew { found: SCHEMA_VERSION + 1, known: SCHEMA_VERSION });
    assert!(error.to_string().contains("newer"), "{error}");

    // A file from before any schema (an empty database) is brought up to date.
    let empty = TempDir::new("empty");
    std::fs::create_dir_all(&empty.0).unwrap();
    Connection::open(empty.0.join("chatd.db")).unwrap().execute_batch("PRAGMA user_version = 0;").unwrap();
    let store = Store::open(&empty.0).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store.create("x", "h", 1).unwrap();
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let dir = TempDir::new("garbage");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join("chatd.db"), vec![0x5a; 8192]).unwrap();
    let error = Store::open(&dir.0).unwrap_err();
    assert!(matches!(error, StoreError::Sqlite(_)), "{error:?}");
}

#[test]
fn debug_hides_the_hash() {
    let record = Record { name: "a".into(), phc: "$argon2id$secret".into(), created: 0, disabled: false };
    let shown = format!("{record:?}");
    assert!(!shown.contains("secret") && shown.contains("hidden"), "{shown}");
}
