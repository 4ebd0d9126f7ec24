use super::*;

fn parse(args: &[&str]) -> Result<Parsed, UsageError> {
    Config::from_args(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

fn run(args: &[&str]) -> Config {
    match parse(args) {
        Ok(Parsed::Run(config)) => *config,
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_arguments_give_the_defaults() {
    assert_eq!(run(&[]), Config::default());
}

#[test]
fn listen_repeats_and_takes_ipv6() {
    let config = run(&["--listen", "127.0.0.1:0", "--listen", "[::1]:7000"]);
    assert_eq!(config.listen, vec!["127.0.0.1:0".parse().unwrap(), "[::1]:7000".parse().unwrap()]);
}

#[test]
fn values_are_checked_and_errors_name_the_option() {
    assert_eq!(
        parse(&["--max-clients", "abc"]),
        Err(UsageError("--max-clients needs a whole number, not \"abc\"".into()))
    );
    assert_eq!(parse(&["--max-line", "10"]), Err(UsageError("--max-line must be between 64 and 65536, not 10".into())));
    assert!(parse(&["--listen", "6667"]).unwrap_err().0.starts_with("--listen needs ADDR:PORT"));
    assert!(parse(&["--default-room", "#a b"]).unwrap_err().0.starts_with("--default-room"));
    assert!(parse(&["--ping-interval", "0"]).is_err());
    assert_eq!(
        parse(&["--log-summary-interval", "0"]),
        Err(UsageError("--log-summary-interval must be between 1 and 3600, not 0".into()))
    );
    assert_eq!(run(&["--log-summary-interval", "60"]).log_summary_interval, Duration::from_secs(60));
    assert!(parse(&["--bogus"]).unwrap_err().0.contains("bogus"));
    assert!(parse(&["--max-clients"]).unwrap_err().0.contains("max-clients"));
    assert!(parse(&["stray"]).unwrap_err().0.contains("stray"));
    assert!(parse(&["--server-name", "a b"]).is_err());
    assert_eq!(run(&[]).server_description, "chatd");
    assert_eq!(run(&["--server-description", "test server"]).server_description, "test server");
    for bad in ["", "   ", "bell\u{7}", &"x".repeat(201)] {
        let error = parse(&["--server-description", bad]).unwrap_err().0;
        assert!(error.starts_with("--server-description needs 1 to 200 bytes"), "{error}");
    }
    assert_eq!(
        parse(&["--crowd-interval", "0"]),
        Err(UsageError("--crowd-interval must be between 1 and 3600, not 0".into()))
    );
    assert_eq!(run(&["--crowd-size", "0"]).crowd_size, 0);
}

#[test]
fn opers_are_name_password_pairs_and_errors_hide_the_secret() {
    assert_eq!(
        run(&["--oper", "admin:s3cret", "--oper", "bob:x:y"]).opers,
        vec![("admin".to_string(), "s3cret".to_string()), ("bob".to_string(), "x:y".to_string())]
    );
    for bad in ["admin", "admin:", ":pw", "a b:pw"] {
        let error = parse(&["--oper", bad]).unwrap_err().0;
        assert!(error.starts_with("--oper needs") && !error.contains(bad), "{error}");
    }
}

#[test]
fn describe_lists_every_option_and_hides_passwords() {
    let config = run(&["--oper", "admin:s3cret", "--listen", "[::]:7000"]);
    let text = config.describe("host");
    assert!(text.contains("--listen [::]:7000\n") && text.contains("--server-name host\n"));
    assert!(text.contains("--server-description \"chatd\"\n"));
    assert!(text.contains("--oper admin:********") && !text.contains("s3cret"));
    assert!(text.contains("--flood-rate 5\n"));
    assert!(text.contains("--crowd-size 100\n") && text.contains("--crowd-interval 60\n"));
    assert!(text.contains("--log-summary-interval 10\n"));
}

#[test]
fn register_timeout_follows_the_ping_settings_unless_given() {
    assert_eq!(Config::default().register_timeout, Config::default().ping_interval + Config::default().ping_timeout);
    assert_eq!(run(&["--ping-interval", "2", "--ping-timeout", "3"]).register_timeout, Duration::from_secs(5));
    let given = run(&["--ping-interval", "2", "--register-timeout", "30"]);
    assert_eq!(given.register_timeout, Duration::from_secs(30));
    assert!(given.describe("host").contains("--register-timeout 30\n"));
    assert!(run(&[]).describe("host").contains("--register-timeout 120\n"));
    assert!(parse(&["--register-timeout", "0"]).unwrap_err().0.starts_with("--register-timeout must be between"));
    assert!(usage().contains("--register-timeout"));
}

#[test]
fn accounts_options_have_defaults_and_are_checked() {
    let config = run(&[]);
    assert_eq!(config.state_dir, PathBuf::from("chatd-state"));
    assert_eq!(config.registration, Registration::Open);
    assert!((1..=2).contains(&config.hashers));
    let config = run(&["--state-dir", "/var/lib/chatd", "--registration", "closed", "--hashers", "3"]);
    assert_eq!(config.state_dir, PathBuf::from("/var/lib/chatd"));
    assert_eq!(config.registration, Registration::Closed);
    assert_eq!(config.hashers, 3);
    let text = config.describe("host");
    assert!(text.contains("--state-dir /var/lib/chatd\n"), "{text}");
    assert!(text.contains("--registration closed\n") && text.contains("--hashers 3\n"), "{text}");
    assert!(run(&[]).describe("host").contains("--registration open\n"));
    assert_eq!(
        parse(&["--registration", "maybe"]),
        Err(UsageError("--registration needs open or closed, not \"maybe\"".into()))
    );
    assert!(parse(&["--hashers", "0"]).unwrap_err().0.starts_with("--hashers must be between 1 and 64"));
    assert!(parse(&["--state-dir", ""]).unwrap_err().0.starts_with("--state-dir"));
    assert!(usage().contains("--state-dir") && usage().contains("--registration") && usage().contains("--hashers"));
}

#[test]
fn hashers_leave_a_core_free_on_small_machines() {
    assert_eq!([1, 2, 3, 4, 64].map(hashers_for_cores), [1, 1, 2, 2, 2]);
}

#[test]
fn help_and_version() {
    assert_eq!(parse(&["--help"]), Ok(Parsed::Help));
    assert_eq!(parse(&["-V"]), Ok(Parsed::Version));
    assert!(usage().contains("--max-sendq"));
}

#[test]
fn room_without_hash_gets_one() {
    assert_eq!(run(&["--default-room", "main"]).default_room.as_str(), "#main");
}

#[test]
fn history_linger_defaults_to_an_hour_and_zero_turns_it_off() {
    assert_eq!(run(&[]).history_linger, Duration::from_secs(3600));
    assert_eq!(run(&["--history-linger", "0"]).history_linger, Duration::ZERO);
    assert_eq!(run(&["--history-linger", "604800"]).history_linger, Duration::from_secs(604_800));
    assert_eq!(
        parse(&["--history-linger", "604801"]),
        Err(UsageError("--history-linger must be between 0 and 604800, not 604801".into()))
    );
    assert!(parse(&["--history-linger", "soon"]).unwrap_err().0.starts_with("--history-linger needs a whole number"));
    assert!(run(&["--history-linger", "90"]).describe("s").contains("\n--history-linger 90\n"));
}
