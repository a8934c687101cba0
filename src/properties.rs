//! Property tests of every parser that reads server data: whatever a server sends, they return
//! a value or an error and never panic (a panic would cross the C boundary as a status at best),
//! and what a well-formed answer says is read back exactly. Case counts are modest to keep the
//! suite fast; `PROPTEST_CASES` raises them.

use proptest::prelude::*;
use serde_json::Value;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
pub(crate) fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        ..ProptestConfig::default()
    }
}

/// Any JSON value a server might send, nested a few levels.
pub(crate) fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "-?[0-9]{1,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-z_]{1,10}".boxed(),
                    prop::sample::select(vec![
                        "task",
                        "status",
                        "state",
                        "data",
                        "jobid",
                        "exit_code",
                        "exp",
                        "url",
                        "systems",
                        "out",
                        "time",
                        "name",
                        "user",
                        "nodelist",
                        "jobId",
                    ])
                    .prop_map(str::to_string)
                    .boxed(),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

mod retry_after {
    use super::*;
    use crate::transport::parse_retry_after;
    use std::time::{Duration, SystemTime};

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_text_is_a_delay_or_nothing(v in ".{0,40}") {
            let _ = parse_retry_after(&v, SystemTime::now());
        }

        #[test]
        fn delay_seconds_are_read_exactly(n in any::<u64>()) {
            prop_assert_eq!(
                parse_retry_after(&n.to_string(), SystemTime::now()),
                Some(Duration::from_secs(n))
            );
        }

        #[test]
        fn fractional_and_huge_numbers_saturate(x in any::<f64>()) {
            let got = parse_retry_after(&x.to_string(), SystemTime::now());
            if x.is_finite() && x >= 0.0 {
                prop_assert!(got.is_some());
            }
        }

        #[test]
        fn an_http_date_is_the_time_until_it(n in 0u64..10_000_000) {
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let date = httpdate::fmt_http_date(now + Duration::from_secs(n));
            prop_assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(n)));
            let past = httpdate::fmt_http_date(now - Duration::from_secs(n));
            prop_assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        }
    }
}

mod s3_xml {
    use super::*;
    use crate::transport::xml_field;

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_text_and_tag_give_a_field_or_nothing(xml in "(.|<|>|/){0,80}", tag in ".{0,8}") {
            let _ = xml_field(&xml, &tag);
        }

        #[test]
        fn a_field_is_read_back_in_any_case_of_its_tag(
            text in "[^<]{0,40}",
            upper in any::<bool>(),
            before in "[^<]{0,20}",
        ) {
            let tag = if upper { "CODE" } else { "Code" };
            let xml = format!(
                "<?xml version=\"1.0\"?>{before}<Error><{tag}>{text}</{tag}><Message>m</Message></Error>"
            );
            prop_assert_eq!(xml_field(&xml, "code"), Some(text.as_str()));
        }
    }
}

mod tokens {
    use super::*;
    use crate::auth::{jwt_claims, refresh_at, username_from_token, TokenAnswer};
    use base64::Engine;
    use std::time::{Duration, Instant};

    fn jwt(claims: &Value) -> String {
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        format!(
            "{}.{}.{}",
            b64(br#"{"alg":"RS256"}"#),
            b64(claims.to_string().as_bytes()),
            b64(b"signature")
        )
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_token_text_has_claims_or_none(t in "[A-Za-z0-9_=.-]{0,60}|.{0,30}") {
            let _ = jwt_claims(&t);
            let _ = username_from_token(&t);
        }

        #[test]
        fn any_claims_are_decoded_as_sent(claims in any_json()) {
            // As serde_json reads the text back (its float parsing may differ in the last
            // digit from the value printed; that is serde_json's, not the token's).
            let sent: Value = serde_json::from_str(&claims.to_string()).unwrap();
            prop_assert_eq!(jwt_claims(&jwt(&claims)), Some(sent));
            let _ = username_from_token(&jwt(&claims));
        }

        #[test]
        fn any_token_answer_or_exp_gives_a_lifetime_without_panic(
            answer in any_json(),
            expires in any::<f64>(),
            exp in any::<f64>(),
            int_exp in any::<i64>(),
            margin in any::<u64>(),
        ) {
            let texts = [
                answer.to_string(),
                format!(r#"{{"access_token":"t","expires_in":{}}}"#, Value::from(expires)),
                serde_json::json!({"access_token": jwt(&serde_json::json!({"exp": exp}))}).to_string(),
                serde_json::json!({"access_token": jwt(&serde_json::json!({"exp": int_exp}))}).to_string(),
            ];
            for text in texts {
                if let Ok(a) = serde_json::from_str::<TokenAnswer>(&text) {
                    let _ = refresh_at(Instant::now(), a.lifetime(), Duration::from_secs(margin));
                }
            }
        }
    }
}

mod v2_jobs {
    use super::*;

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_job_answer_is_a_report_or_an_error(job in any_json()) {
            let _ = crate::v2::jobs::job_info(&job);
            let _ = crate::v2::jobs::TransferJob::from_answer("cluster", &job);
        }
    }
}

mod content_range {
    use super::*;

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_header_gives_a_start_or_nothing(v in ".{0,40}") {
            let _ = crate::transfers::content_range_start(Some(&v));
        }

        #[test]
        fn a_range_gives_its_start(a in any::<u64>(), len in 0u64..1 << 40) {
            let v = format!("bytes {a}-{}/{}", a.saturating_add(len), a.saturating_add(len) + 1);
            prop_assert_eq!(crate::transfers::content_range_start(Some(&v)), Some(a));
        }
    }
}
