//! Connect time with and without TLS, to the same server in the same run:
//! `cargo bench -p dbguard-pg --bench connect`. The modes take turns so
//! that drift on a shared machine hits them alike.

use std::time::{Duration, Instant};

use dbguard_pg::DbUrl;
use dbguard_testkit::{TestCa, TestServer, TlsSetup};

const ROUNDS: usize = 200;

fn main() {
    let ca = TestCa::new("dbguard bench CA");
    let server = TestServer::start_tls(TlsSetup {
        server: ca.server(&["localhost"]),
        client_ca_pem: ca.cert_pem(),
        cert_roles: Vec::new(),
        plain_too: true,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    let base = server
        .local()
        .url("postgres")
        .unwrap()
        .expose()
        .replace("@127.0.0.1:", "@localhost:");
    let modes = [
        ("disable", "sslmode=disable".to_string()),
        ("require", "sslmode=require".to_string()),
        (
            "verify-full",
            format!("sslmode=verify-full&sslrootcert={}", ca_file.display()),
        ),
    ];
    let urls: Vec<DbUrl> = modes
        .iter()
        .map(|(_, params)| DbUrl::parse(&format!("{base}&{params}")).unwrap())
        .collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); modes.len()];
    for _ in 0..ROUNDS {
        for (i, url) in urls.iter().enumerate() {
            let start = Instant::now();
            let mut client = dbguard_pg::connect(url, Duration::from_secs(10)).unwrap();
            client.simple_query("SELECT 1").unwrap();
            times[i].push(start.elapsed());
        }
    }
    println!("connect + SELECT 1, {ROUNDS} rounds each, same server:");
    let reference = median(&mut times[0].clone());
    for ((name, _), samples) in modes.iter().zip(times.iter_mut()) {
        let med = median(samples);
        let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
        println!(
            "  {name:<12} median {:>7.2} ms  mean {:>7.2} ms  ({:.2}x disable)",
            med.as_secs_f64() * 1e3,
            mean.as_secs_f64() * 1e3,
            med.as_secs_f64() / reference.as_secs_f64()
        );
    }
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
