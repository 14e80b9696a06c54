//! `mqtts://` and `wss://` against a real mosquitto with TLS listeners, its certificate
//! issued by a private CA made with openssl for the test: with `--cafile` naming that CA,
//! `pub` and `sub` work over both; without it the broker is not trusted and the command exits 1
//! at once with one line saying why.
// Tests fail loudly by design: unwrap, expect, indexing and panics are how they report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::{free_port, unique, Mosquitto, Target, WAIT};

/// A CA and a certificate for 127.0.0.1 signed by it, in a directory of their own.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new() -> Pki {
        let dir = std::env::temp_dir().join(unique("switchboard-pki"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let steps: [Vec<&str>; 3] = [
            [
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.crt",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=switchboard test CA",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                ],
            ]
            .concat(),
            [
                &["req"][..],
                &ec,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            ]
            .concat(),
            vec![
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        ];
        for args in steps {
            let out = Command::new("openssl")
                .args(&args)
                .current_dir(&dir)
                .output()
                .unwrap_or_else(|e| panic!("cannot run openssl (needed for this test): {e}"));
            assert!(
                out.status.success(),
                "openssl {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Pki { dir }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// mosquitto with a TLS listener for MQTT and one for WebSocket, besides the plain ones.
fn tls_broker(pki: &Pki) -> (Mosquitto, u16, u16) {
    let (mqtts, wss) = (free_port(), free_port());
    let tls = |port: u16, protocol: &str| {
        format!(
            "listener {port} 127.0.0.1\nprotocol {protocol}\ncafile {}\ncertfile {}\nkeyfile {}\n",
            pki.file("ca.crt"),
            pki.file("server.crt"),
            pki.file("server.key")
        )
    };
    let settings = format!(
        "allow_anonymous true\n{}{}",
        tls(mqtts, "mqtt"),
        tls(wss, "websockets")
    );
    let broker = Mosquitto::start("tls", &settings);
    assert!(
        support::wait_port(mqtts, WAIT) && support::wait_port(wss, WAIT),
        "the TLS listeners did not open; broker log:\n{}",
        broker.log_text()
    );
    (broker, mqtts, wss)
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn mqtts_and_wss_work_with_the_brokers_ca_and_fail_cleanly_without() {
    let pki = Pki::new();
    let (_broker, mqtts, wss) = tls_broker(&pki);
    let cafile = pki.dir.join("ca.crt");
    for (label, url) in [
        ("mqtts", format!("mqtts://127.0.0.1:{mqtts}")),
        ("wss", format!("wss://127.0.0.1:{wss}")),
    ] {
        for version in ["311", "5"] {
            let t = Target {
                url: url.clone(),
                version,
                label: format!("{label}-{version}"),
            };
            let topic = format!("sbt/{}/tls", unique(&t.label));
            let mut sub = support::subscribe(
                &t,
                "subscriber",
                &["-t", &topic, "-q", "1", "-v", "--cafile", path_str(&cafile)],
            );
            await_subscribed_tls(&mut sub, &t, &topic, &cafile);
            let out = support::run(
                &[
                    "pub",
                    "-L",
                    &t.url,
                    "-V",
                    version,
                    "-t",
                    &topic,
                    "-q",
                    "1",
                    "-m",
                    "over-tls",
                    "--cafile",
                    path_str(&cafile),
                ],
                WAIT,
            );
            assert_eq!(out.code, Some(0), "[{}] pub: {}", t.label, out.stderr);
            sub.expect_line("the message over TLS", WAIT, |l| {
                l == format!("{topic} over-tls")
            });
            sub.signal("INT");
            sub.wait_success(WAIT);

            // Without the CA the broker's certificate is not trusted: exit 1, one line, fast.
            let out = support::run(
                &["pub", "-L", &t.url, "-V", version, "-t", &topic, "-m", "x"],
                WAIT,
            );
            assert_eq!(out.code, Some(1), "[{}] {out:?}", t.label);
            assert!(
                out.stderr.starts_with("error: cannot connect to")
                    && out.stderr.contains("certificate")
                    && out.stderr.trim_end().lines().count() == 1,
                "[{}] {:?}",
                t.label,
                out.stderr
            );
        }
    }
    // A file without certificates is refused before any connection.
    let out = support::run(
        &[
            "pub",
            "-L",
            &format!("mqtts://127.0.0.1:{mqtts}"),
            "-t",
            "a",
            "-m",
            "x",
            "--cafile",
            &pki.file("server.ext"),
        ],
        WAIT,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("no certificate"), "{:?}", out.stderr);
}

/// Like `support::await_subscribed`, with the probes published over TLS.
fn await_subscribed_tls(sub: &mut support::Proc, t: &Target, topic: &str, cafile: &Path) {
    let deadline = std::time::Instant::now() + WAIT;
    for n in 0.. {
        let payload = format!("probe-{n}");
        let out = support::run(
            &[
                "pub",
                "-L",
                &t.url,
                "-V",
                t.version,
                "-t",
                topic,
                "-m",
                &payload,
                "--cafile",
                path_str(cafile),
            ],
            WAIT,
        );
        assert_eq!(out.code, Some(0), "[{}] probe: {}", t.label, out.stderr);
        if sub
            .line_where(std::time::Duration::from_millis(300), |l| {
                l.contains("probe-")
            })
            .is_some()
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "[{}] not subscribed within {WAIT:?}; stderr:\n{}",
            t.label,
            sub.stderr()
        );
    }
}
