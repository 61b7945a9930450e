//! What template.yaml promises an operator beyond IAM (`api/policies.rs`): the change feed's
//! consumer cannot fail silently, and a canary or linear deploy rolls back on errors. And the
//! local configuration: `.env.example` lists every variable, and `make dev` reads `.env`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_yaml_ng::Value;

fn template() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

/// The alarms of the template that watch `metric` of `namespace`.
fn alarms_on(template: &Value, namespace: &str, metric: &str) -> Vec<String> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| {
            resource["Type"] == "AWS::CloudWatch::Alarm"
                && resource["Properties"]["Namespace"] == namespace
                && resource["Properties"]["MetricName"] == metric
        })
        .map(|(name, _)| name.as_str().unwrap().to_string())
        .collect()
}

/// The consumer reports failed records as `batchItemFailures`, so its Errors alarm never fires:
/// a record that keeps failing must neither block its shard for the stream's 24 hours nor leave
/// without an alarm. It is retried a bounded number of times and for a bounded age, the batch
/// halved to isolate it, then sent to the failure queue while the stream still holds it (for a
/// replay); the iterator's age and the queue's depth each have an alarm.
#[test]
fn the_change_feed_consumer_gives_up_on_a_record_loudly_and_in_time() {
    let template = template();
    let stream = &template["Resources"]["RecordChangesFunction"]["Properties"]["Events"]["Stream"]
        ["Properties"];
    let attempts = stream["MaximumRetryAttempts"]
        .as_u64()
        .expect("MaximumRetryAttempts");
    assert!((1..=20).contains(&attempts), "{attempts} retries");
    let age = stream["MaximumRecordAgeInSeconds"]
        .as_u64()
        .expect("MaximumRecordAgeInSeconds");
    assert!(
        (60..=6 * 3600).contains(&age),
        "records older than {age} s are given up, well within the stream's 24 h"
    );
    assert_eq!(stream["BisectBatchOnFunctionError"], Value::Bool(true));
    assert!(matches!(
        stream["DestinationConfig"]["OnFailure"]["Destination"],
        Value::Tagged(_)
    ));

    let iterator = alarms_on(&template, "AWS/Lambda", "IteratorAge");
    assert_eq!(
        iterator.len(),
        1,
        "one alarm on the consumer's iterator age"
    );
    let queue = alarms_on(&template, "AWS/SQS", "ApproximateNumberOfMessagesVisible");
    assert_eq!(queue.len(), 1, "one alarm on the failure queue's depth");
    for name in iterator.iter().chain(&queue) {
        let alarm = &template["Resources"][name.as_str()]["Properties"];
        assert!(
            matches!(alarm["AlarmActions"], Value::Tagged(_)),
            "{name} notifies AlarmTopicArn"
        );
    }
}

/// A canary or linear deploy rolls back only on the alarms its function lists: each function
/// lists its own Errors alarm (none did, so `DeploymentType` canaries never rolled back).
#[test]
fn every_function_deploy_rolls_back_on_its_errors_alarm() {
    let template = template();
    let functions: Vec<(&Value, &Value)> = template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .collect();
    assert_eq!(functions.len(), shared::routes::FUNCTIONS.len());
    for (name, function) in functions {
        let name = name.as_str().unwrap();
        let alarms = function["Properties"]["DeploymentPreference"]["Alarms"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{name} lists no alarms"));
        let own = format!("{}ErrorsAlarm", name.trim_end_matches("Function"));
        assert!(
            alarms.iter().any(|alarm| match alarm {
                Value::Tagged(tagged) => tagged.value.as_str() == Some(own.as_str()),
                _ => false,
            }),
            "{name} rolls back on {own}"
        );
        assert_eq!(
            template["Resources"][own.as_str()]["Properties"]["MetricName"],
            "Errors"
        );
    }
    assert!(
        template["Globals"]["Function"]["DeploymentPreference"]["Type"].is_mapping()
            || matches!(
                template["Globals"]["Function"]["DeploymentPreference"]["Type"],
                Value::Tagged(_)
            )
    );
}

/// The stream's filter lets through every item the feed records (contacts, groups, and the mark
/// an erase leaves): a prefix missing here would drop those changes silently on AWS, where the
/// local pump, which delivers every record, would not show it.
#[test]
fn the_stream_filter_passes_every_item_the_feed_records() {
    use shared::store::keys;
    let template = template();
    let pattern = template["Resources"]["RecordChangesFunction"]["Properties"]["Events"]["Stream"]
        ["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"]
        .as_str()
        .expect("a filter pattern");
    let pattern: serde_json::Value = serde_json::from_str(pattern).unwrap();
    let prefixes: Vec<&str> = pattern["dynamodb"]["Keys"]["sk"]["S"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["prefix"].as_str().unwrap())
        .collect();
    for prefix in [
        keys::CONTACT_PREFIX,
        keys::GROUP_PREFIX,
        keys::ERASED_PREFIX,
    ] {
        assert!(
            prefixes.contains(&prefix),
            "{prefix} is filtered out: {prefixes:?}"
        );
    }
}

/// Lambda reads a JSON line without a `level` (every EMF metrics document) as INFO, so a WARN or
/// ERROR `ApplicationLogLevel` would drop every metric: Lambda's filter stays at INFO (DEBUG
/// when asked) and the functions apply `LogLevel` themselves (`LOG_LEVEL`).
#[test]
fn no_log_level_drops_the_metrics() {
    let template = template();
    let globals = &template["Globals"]["Function"];
    let filter = &globals["LoggingConfig"]["ApplicationLogLevel"];
    let Value::Tagged(filter) = filter else {
        panic!("ApplicationLogLevel is {filter:?}, not a condition");
    };
    assert_eq!(filter.tag.to_string(), "!If");
    let levels: Vec<&str> = filter.value.as_sequence().unwrap()[1..]
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(levels, ["DEBUG", "INFO"], "never above INFO");
    let given = &globals["Environment"]["Variables"]["LOG_LEVEL"];
    let Value::Tagged(given) = given else {
        panic!("LOG_LEVEL is {given:?}");
    };
    assert_eq!(
        (given.tag.to_string().as_str(), given.value.as_str()),
        ("!Ref", Some("LogLevel"))
    );
}

/// `.env.example` lists every variable the functions' configuration reads (a quoted upper-case
/// name in config.rs and observe.rs that is not a level) and every port and name `make dev`
/// takes, so that a developer sees all of them in one file.
#[test]
fn the_env_example_lists_every_variable() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let example = std::fs::read_to_string(format!("{root}/.env.example")).unwrap();
    let listed = |name: &str| {
        example.lines().any(|line| {
            line.trim_start_matches("# ")
                .starts_with(&format!("{name}="))
        })
    };
    let mut names = vec!["DYNAMODB_PORT".to_string(), "API_PORT".to_string()];
    for file in ["shared/src/config.rs", "shared/src/observe.rs"] {
        let source = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        for quoted in source.split('"').skip(1).step_by(2) {
            let is_name = quoted.len() > 3
                && quoted.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                && !["DEBUG", "INFO", "WARN", "ERROR"].contains(&quoted);
            if is_name && !quoted.starts_with("AWS_LAMBDA") && quoted != "RUST_LOG" {
                names.push(quoted.to_string());
            }
        }
    }
    assert!(names.len() > 10, "{names:?}");
    for name in names {
        assert!(listed(&name), ".env.example does not list {name}");
    }
}

/// `make dev` reads `.env` with infra/dotenv.sh: the shell wins over the file, quotes and
/// `export` are allowed, and a line that is not `KEY=VALUE` stops it with the line's number.
#[test]
fn make_dev_reads_a_dotenv_file_under_the_shell() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let dir = std::env::temp_dir().join(format!("dotenv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.env");
    std::fs::write(
        &good,
        "# a comment\n\nONE=1\nexport TWO=\"two words\"\nTHREE='a=b'\nSHELL_SET=file\r\n",
    )
    .unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "set -e; source {root}/infra/dotenv.sh; load_dotenv {}; echo \"$ONE|$TWO|$THREE|$SHELL_SET\"",
                file.display()
            ))
            .env("SHELL_SET", "shell")
            .output()
            .unwrap()
    };
    let out = run(&good);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "1|two words|a=b|shell"
    );
    let bad = dir.join("bad.env");
    std::fs::write(&bad, "ONE=1\nnot a pair\n").unwrap();
    let out = run(&bad);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.env:2: not KEY=VALUE"));
}
