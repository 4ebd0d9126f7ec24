use super::*;

fn parse_args(args: &[&str]) -> Result<Parsed, String> {
    parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

fn command(args: &[&str]) -> Invocation {
    match parse_args(args) {
        Ok(Parsed::Run(invocation)) => invocation,
        other => panic!("{other:?}"),
    }
}

#[test]
fn commands_take_a_name_and_an_optional_state_dir() {
    assert_eq!(
        command(&["add", "alice"]),
        Invocation { command: Command::Add("alice".into()), state_dir: PathBuf::from("chatd-state") }
    );
    assert_eq!(
        command(&["--state-dir", "/var/lib/chatd", "passwd", "bob"]),
        Invocation { command: Command::Passwd("bob".into()), state_dir: PathBuf::from("/var/lib/chatd") }
    );
    assert_eq!(command(&["disable", "x", "--state-dir", "d"]).command, Command::Disable("x".into()));
    assert_eq!(command(&["enable", "x"]).command, Command::Enable("x".into()));
    assert_eq!(command(&["delete", "x"]).command, Command::Delete("x".into()));
    assert_eq!(command(&["list"]).command, Command::List);
    assert_eq!(parse_args(&["--help"]), Ok(Parsed::Help));
    assert_eq!(parse_args(&["list", "-h"]), Ok(Parsed::Help));
}

#[test]
fn bad_command_lines_say_what_is_wrong() {
    assert!(parse_args(&[]).unwrap_err().starts_with("which command?"));
    assert_eq!(parse_args(&["add"]), Err("add needs an account name".into()));
    assert!(parse_args(&["list", "alice"]).unwrap_err().starts_with("list takes no name"));
    assert!(parse_args(&["frobnicate", "x"]).unwrap_err().starts_with("unknown command \"frobnicate\""));
    assert_eq!(parse_args(&["add", "a", "b"]), Err("unexpected argument \"b\"".into()));
    assert!(parse_args(&["list", "--state-dir", ""]).is_err());
    assert!(parse_args(&["list", "--bogus"]).unwrap_err().contains("bogus"));
    assert!(usage().contains("passwd NAME") && usage().contains("--state-dir"));
}

#[test]
fn new_names_must_be_nicknames_and_not_services() {
    assert_eq!(check_new_name("alice"), Ok(()));
    assert!(check_new_name("1alice").unwrap_err().contains("cannot be an account"));
    assert_eq!(check_new_name("NickServ"), Err("NickServ is reserved for services".into()));
    assert!(check_new_name("nickserv").is_err());
}

#[test]
fn the_list_is_a_table_in_utc() {
    let records = [
        Record { name: "alice".into(), phc: "x".into(), created: 1_184_064_842_000, disabled: false },
        Record { name: "bob".into(), phc: "y".into(), created: 0, disabled: true },
    ];
    assert_eq!(
        list(&records),
        "NAME                  CREATED (UTC)        STATUS\n\
         alice                 2007-07-10 10:54:02  enabled\n\
         bob                   1970-01-01 00:00:00  disabled"
    );
}

#[test]
fn the_default_state_dir_is_the_servers() {
    assert_eq!(crate::config::Config::default().state_dir, PathBuf::from(DEFAULT_STATE_DIR));
}

struct Given(Option<&'static str>);

impl PasswordSource for Given {
    fn new_password(&mut self, _: &str) -> Result<String, String> {
        self.0.take().map(String::from).ok_or_else(|| "no password".into())
    }
}

#[test]
fn passwords_are_checked_for_length_before_hashing_and_the_operator_may_choose_a_short_one() {
    // The operator may choose a short one (warned), never an empty or overlong one.
    assert_eq!(new_hash(&mut Given(Some("")), "a"), Err("a password needs 1 to 512 bytes".into()));
    let short = new_hash(&mut Given(Some("short")), "a").unwrap();
    assert!(crate::accounts::verify(&short, "short"));
    let long: &'static str = Box::leak("x".repeat(513).into_boxed_str());
    assert!(new_hash(&mut Given(Some(long)), "a").is_err());
    let phc = new_hash(&mut Given(Some("long enough")), "a").unwrap();
    assert!(crate::accounts::verify(&phc, "long enough"));
    assert_eq!(new_hash(&mut Given(None), "a"), Err("no password".into()));
}
