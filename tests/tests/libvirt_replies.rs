//! Real replies against generated bindings: every request libvirt sent to
//! QEMU 4.2 ... 7.2 on six targets (`$QAPI_SHARED_DIR/libvirt-replies/`),
//! decoded with bindings of QEMU 5.2, 7.2 and 10.2.
//!
//! Every successful reply must decode into the command's return type, every
//! request's arguments into the command's struct, every error reply into a
//! [`QmpError`]; replies of the bindings' own version must also encode back
//! to the JSON received.

use std::collections::BTreeMap;

use qapi_tests::json;
use qapi_tests::replies::{self, Exchange, Reply, Transcript, Version};
use qapi_types::serde_json;
use qapi_types::{Command, QmpError};

/// What became of one exchange.
enum Outcome {
    /// Decoded (and, for the bindings' own version, encoded back equal).
    Ok,
    /// The bindings' schema has no such command.
    NotInSchema,
    /// Failed: why.
    Failed(String),
}

/// Decodes one exchange as command `C`.
fn check<C: Command>(x: &Exchange, own_version: bool) -> Outcome {
    if let Some(args) = &x.arguments
        && let Err(e) = serde_json::from_value::<C>(args.clone())
    {
        return Outcome::Failed(format!("arguments {args}: {e}"));
    }
    let result = match &x.reply {
        Reply::Error(msg) => serde_json::from_value::<QmpError>(msg["error"].clone())
            .map(drop)
            .map_err(|e| format!("error reply: {e}")),
        Reply::Return(value) => {
            let text = value.to_string();
            if own_version {
                json::round_trip_numbers::<C::Returns>(C::NAME, &text).map(drop)
            } else {
                json::decode::<C::Returns>(C::NAME, &text).map(drop)
            }
        }
    };
    match result {
        Ok(()) => Outcome::Ok,
        Err(e) => Outcome::Failed(e),
    }
}

/// `fn $name(exchange, own_version) -> Outcome` decoding with the commands
/// of bindings module `$m`.
macro_rules! decoder {
    ($name:ident, $m:path, [$($ty:ident),* $(,)?]) => {
        fn $name(x: &Exchange, own_version: bool) -> Outcome {
            use $m as b;
            $(
                if x.command == <b::$ty as Command>::NAME {
                    return check::<b::$ty>(x, own_version);
                }
            )*
            Outcome::NotInSchema
        }
    };
}

/// The commands in the transcripts, by their generated names.
macro_rules! with_commands {
    ($mac:ident, $name:ident, $m:path $(, $extra:ident)*) => {
        $mac!($name, $m, [
            QmpCapabilities, QueryQmpSchema, QueryMachines, QueryCpuDefinitions,
            QueryCpuModelExpansion, DeviceListProperties, QomListProperties,
            QueryVersion, QueryTarget, QueryKvm, QomListTypes, QueryTpmModels,
            QueryTpmTypes, QueryCommandLineOptions, QueryMigrateCapabilities,
            QueryCommands, QueryGicCapabilities, QuerySevCapabilities $(, $extra)*
        ]);
    };
}

/// The tally of one set of bindings over every transcript.
#[derive(Default)]
struct Tally {
    ok: usize,
    returns: usize,
    errors: usize,
    not_in_schema: BTreeMap<String, usize>,
    failures: Vec<String>,
    failed_returns: usize,
    by_command: BTreeMap<String, usize>,
}

/// Runs `decode` over every exchange of every transcript; `own` is the
/// version whose replies must also encode back equal.
fn tally(
    transcripts: &[Transcript],
    own: Option<Version>,
    decode: fn(&Exchange, bool) -> Outcome,
) -> Tally {
    let mut t = Tally::default();
    for tr in transcripts {
        for x in &tr.exchanges {
            match x.reply {
                Reply::Return(_) => t.returns += 1,
                Reply::Error(_) => t.errors += 1,
            }
            match decode(x, own == Some(tr.version)) {
                Outcome::Ok => t.ok += 1,
                Outcome::NotInSchema => *t.not_in_schema.entry(x.command.clone()).or_default() += 1,
                Outcome::Failed(e) => {
                    if matches!(x.reply, Reply::Return(_)) {
                        t.failed_returns += 1;
                    }
                    *t.by_command.entry(x.command.clone()).or_default() += 1;
                    t.failures
                        .push(format!("{} #{} {}: {e}", tr.file, x.index, x.command));
                }
            }
        }
    }
    t
}

fn transcripts(test: &str) -> Option<Vec<Transcript>> {
    let dir = qapi_tests::shared::path(test, replies::DIR)?;
    let all = replies::read_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        all.len() >= 28,
        "expected 28 transcripts, found {}",
        all.len()
    );
    Some(all)
}

fn report(what: &str, t: &Tally) {
    eprintln!(
        "{what}: {} of {} exchanges decoded ({} returns, {} errors); {} returns failed \
         ({:.1}%); not in the schema: {:?}; failures by command: {:?}",
        t.ok,
        t.returns + t.errors,
        t.returns,
        t.errors,
        t.failed_returns,
        100.0 * t.failed_returns as f64 / t.returns as f64,
        t.not_in_schema,
        t.by_command,
    );
    for f in t.failures.iter().take(40) {
        eprintln!("  {f}");
    }
}

/// Fails with every failure listed when any exchange failed.
fn assert_all_decode(what: &str, t: &Tally) {
    report(what, t);
    assert!(
        t.failures.is_empty(),
        "{what}: {} of {} exchanges failed:\n{}",
        t.failures.len(),
        t.returns + t.errors,
        t.failures.join("\n")
    );
    assert!(t.ok > 1000, "{what}: only {} exchanges decoded", t.ok);
}

const V5_2: Version = Version { major: 5, minor: 2 };
const V7_2: Version = Version { major: 7, minor: 2 };

/// Bindings of each schema for every QEMU from 4.2 on decode everything
/// every QEMU from 4.2 to 7.2 sent, on every target.
#[cfg(qapi_shared)]
mod oldest {
    use super::*;
    use qapi_tests::bindings::qemu::libvirt;

    with_commands!(decoder, v5_2, libvirt::v5_2_oldest);
    with_commands!(decoder, v7_2, libvirt::v7_2_oldest, QuerySgxCapabilities);
    with_commands!(decoder, v10_2, libvirt::v10_2_oldest, QuerySgxCapabilities);

    #[test]
    fn qemu_5_2_bindings() {
        let Some(all) = transcripts("oldest::qemu_5_2_bindings") else {
            return;
        };
        let t = tally(&all, Some(V5_2), v5_2);
        assert_all_decode("5.2 bindings, --oldest 4.2", &t);
        // QEMU 5.2 had no query-sgx-capabilities (6.2).
        assert_eq!(
            t.not_in_schema.keys().collect::<Vec<_>>(),
            ["query-sgx-capabilities"]
        );
    }

    #[test]
    fn qemu_7_2_bindings() {
        let Some(all) = transcripts("oldest::qemu_7_2_bindings") else {
            return;
        };
        let t = tally(&all, Some(V7_2), v7_2);
        assert_all_decode("7.2 bindings, --oldest 4.2", &t);
        assert!(t.not_in_schema.is_empty());
    }

    with_commands!(
        decoder,
        merged,
        libvirt::merged_oldest,
        QuerySgxCapabilities
    );

    /// 10.2 merged with 5.2 and 7.2, for QEMU 4.2 and later.
    #[test]
    fn merged_bindings() {
        let Some(all) = transcripts("oldest::merged_bindings") else {
            return;
        };
        let t = tally(&all, None, merged);
        assert_all_decode("10.2 + 5.2 + 7.2 bindings, --oldest 4.2", &t);
        assert!(t.not_in_schema.is_empty());
    }

    #[test]
    fn qemu_10_2_bindings() {
        let Some(all) = transcripts("oldest::qemu_10_2_bindings") else {
            return;
        };
        let t = tally(&all, None, v10_2);
        assert_all_decode("10.2 bindings, --oldest 4.2", &t);
        assert!(t.not_in_schema.is_empty());
    }
}

/// The default bindings (conditions documented, not evaluated) decode
/// every reply of their own QEMU version, on every target, and encode it
/// back equal.  (The 10.2 bindings have no replies of their own version
/// here; what they make of older QEMU's replies is reported.)
#[cfg(qapi_shared)]
mod default_bindings {
    use super::*;
    use qapi_tests::bindings::qemu;

    with_commands!(decoder, v5_2, qemu::v5_2::qmp);
    with_commands!(decoder, v7_2, qemu::v7_2::qmp, QuerySgxCapabilities);
    with_commands!(decoder, v10_2, qemu::v10_2::qmp, QuerySgxCapabilities);

    fn own(all: &[Transcript], version: Version) -> Vec<Transcript> {
        let own: Vec<Transcript> = all
            .iter()
            .filter(|t| t.version == version)
            .cloned()
            .collect();
        assert!(!own.is_empty(), "no transcript of QEMU {version}");
        own
    }

    #[test]
    fn qemu_5_2_replies_on_every_target() {
        let Some(all) = transcripts("default_bindings::qemu_5_2_replies_on_every_target") else {
            return;
        };
        let own = own(&all, V5_2);
        let targets: Vec<&str> = own.iter().map(|t| t.target.as_str()).collect();
        assert_eq!(targets, ["aarch64", "ppc64", "riscv64", "s390x", "x86_64"]);
        let t = tally(&own, Some(V5_2), v5_2);
        report("5.2 bindings on QEMU 5.2", &t);
        assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
        assert!(t.ok > 200, "only {} exchanges", t.ok);
    }

    #[test]
    fn qemu_7_2_replies() {
        let Some(all) = transcripts("default_bindings::qemu_7_2_replies") else {
            return;
        };
        let own = own(&all, V7_2);
        let t = tally(&own, Some(V7_2), v7_2);
        report("7.2 bindings on QEMU 7.2", &t);
        assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
        assert!(t.ok > 40, "only {} exchanges", t.ok);
    }

    with_commands!(decoder, merged, qemu::merged, QuerySgxCapabilities);

    /// The whole of 10.2 merged with 5.2 and 7.2, without `--oldest`:
    /// every reply of QEMU 5.2 and later decodes (each member the merged
    /// schemas do not all require is optional), and those of 5.2 and 7.2
    /// encode back equal.
    #[test]
    fn merged_from_5_2_on() {
        let Some(all) = transcripts("default_bindings::merged_from_5_2_on") else {
            return;
        };
        let recent: Vec<Transcript> = all.into_iter().filter(|t| t.version >= V5_2).collect();
        let t = tally(&recent, None, merged);
        report("10.2 + 5.2 + 7.2 bindings on QEMU 5.2 ... 7.2", &t);
        assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
        for version in [V5_2, V7_2] {
            let own: Vec<Transcript> = recent
                .iter()
                .filter(|t| t.version == version)
                .cloned()
                .collect();
            let t = tally(&own, Some(version), merged);
            assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
        }
    }

    /// Without `--oldest`, bindings newer than the QEMU they talk to fail
    /// where a member they require came later: reported, for comparison
    /// with the `oldest` tests above.
    #[test]
    fn newer_bindings_without_oldest() {
        let Some(all) = transcripts("default_bindings::newer_bindings_without_oldest") else {
            return;
        };
        let t = tally(&all, None, v10_2);
        report("10.2 bindings (default) on QEMU 4.2 ... 7.2", &t);
        // Members that came after 4.2 and are required in 10.2.
        for command in [
            "query-machines",
            "query-cpu-definitions",
            "query-qmp-schema",
        ] {
            assert!(
                t.by_command.contains_key(command),
                "{command} decoded everywhere"
            );
        }
    }
}
