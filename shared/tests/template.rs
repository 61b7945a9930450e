//! What template.yaml promises an operator beyond IAM (`api/policies.rs`): the change feed's
//! consumer cannot fail silently, and a canary or linear deploy rolls back on errors.
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
