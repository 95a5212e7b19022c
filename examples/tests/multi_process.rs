//! Several OS processes on one store and one fake DK+ (served by the `fakes` program in a
//! process of its own): receivers and backfills handle the same invoices at the same time —
//! every invoice delivered as a webhook twice, besides the backfills — while DK+ answers 503
//! and 429 at random, loses the answers of booked invoices and shows them in look-ups only
//! later, and one receiver is killed with SIGKILL mid-run and restarted. Then DK+ calms down
//! and a clean run follows. Every valid invoice must be in DK+ exactly once, with its number in
//! the ledger, and no outcome left unknown.
//!
//! Once on PostgreSQL (three receivers and two backfills) and once on one SQLite file (a
//! receiver and a backfill). Each prints one line:
//! `multi-process: P processes, N invoices, F faults, K kills, D duplicates, L lost`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moment_dkplus_examples::fakes::{Books, Delivery};
use moment_dkplus_mapping::store::{self, JobState, LedgerState, Scope, Store};

const INVOICES: usize = 500;
const SECRET: &str = "multi-process-secret-0123456789";
/// How long an unclear post settles before it is looked up again (the programs' default is 15
/// minutes). The rule: the settle time less the claim's lease must exceed DK+'s delay before a
/// booked invoice shows in look-ups — here 5 s − 2 s = 3 s against the fake's 1.5 s.
const SETTLE_SECONDS: u64 = 5;
/// How long a claim (and so a post) may take before another process may take over.
const CLAIM_LEASE_SECONDS: u64 = 2;

/// One run at a time: they share the machine's cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("moment-dkplus-multi-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `fakes` program, driven through its stdin.
struct Fakes {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    env: Vec<(String, String)>,
}

impl Fakes {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fakes"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut env = Vec::new();
        loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "fakes stopped");
            if line.starts_with("# ready") {
                break;
            }
            let (name, value) = line
                .trim()
                .strip_prefix("export ")
                .and_then(|l| l.split_once('='))
                .unwrap_or_else(|| panic!("unexpected line {line:?}"));
            env.push((name.to_owned(), value.trim_matches('\'').to_owned()));
        }
        Self {
            child,
            stdin,
            stdout,
            env,
        }
    }

    fn command(&mut self, line: &str) -> String {
        writeln!(self.stdin, "{line}").unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        answer.trim().to_owned()
    }

    fn books(&mut self) -> Books {
        serde_json::from_str(&self.command("stats")).unwrap()
    }

    fn deliver(&mut self, urls: &[String]) -> Delivery {
        let answer = self.command(&format!("deliver {}", urls.join(" ")));
        serde_json::from_str(answer.strip_prefix("ok ").unwrap_or(&answer))
            .unwrap_or_else(|e| panic!("{e}: {answer}"))
    }
}

impl Drop for Fakes {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program run with the shared environment; its stderr (and, but for a receiver's, its
/// stdout) goes to a log file — never to a pipe nobody drains, which would stop the program
/// once the pipe is full.
struct Program {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Program {
    fn start(bin: &str, name: &str, args: &[&str], env: &[(String, String)], dir: &Path) -> Self {
        Self::spawn(bin, name, args, env, dir, false)
    }

    fn spawn(
        bin: &str,
        name: &str,
        args: &[&str],
        env: &[(String, String)],
        dir: &Path,
        read_stdout: bool,
    ) -> Self {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let stdout = if read_stdout {
            Stdio::piped()
        } else {
            Stdio::from(file.try_clone().unwrap())
        };
        let child = Command::new(bin)
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(stdout)
            .stderr(file)
            .spawn()
            .unwrap();
        Self {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// A receiver, once it listens.
    fn receiver(name: &str, port: u16, env: &[(String, String)], dir: &Path) -> Self {
        let mut env = env.to_vec();
        env.push(("WEBHOOK_LISTEN".into(), format!("127.0.0.1:{port}")));
        // A receiver writes one line to stdout (where it listens), read here.
        let mut program = Self::spawn(
            env!("CARGO_BIN_EXE_webhook_receiver"),
            name,
            &[],
            &env,
            dir,
            true,
        );
        let mut line = String::new();
        BufReader::new(program.child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("listening on"),
            "{name} did not start: {line:?}\n{}",
            program.log_text()
        );
        program
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                start.elapsed() < limit,
                "{} still runs after {limit:?}\n{}",
                self.name,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL: no clean-up at all.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Polls `done` until it holds, at most `limit`.
fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The run: `receivers` receivers and `backfills` backfills on the store at `store_url`.
fn run(label: &str, store_url: &str, receivers: usize, backfills: usize) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = temp_dir(label);
    let mut fakes = Fakes::start(&[
        "--invoices",
        &INVOICES.to_string(),
        "--seed",
        "42",
        "--server-errors",
        "15",
        "--rate-limited",
        "15",
        "--lost-answers",
        "60",
        "--visibility-lag-ms",
        "1500",
    ]);
    let dkplus_company = format!("multi-{label}-{}", std::process::id());
    let mut env = fakes.env.clone();
    let moment_company = env
        .iter()
        .find(|(k, _)| k == "MOMENT_COMPANY")
        .map(|(_, v)| v.clone())
        .unwrap();
    env.extend(
        [
            ("STORE_URL", store_url.to_owned()),
            ("DKPLUS_COMPANY", dkplus_company.clone()),
            ("SETTLE_SECONDS", SETTLE_SECONDS.to_string()),
            ("CLAIM_LEASE_SECONDS", CLAIM_LEASE_SECONDS.to_string()),
            ("CONCURRENCY", "8".to_owned()),
            ("WEBHOOK_SECRET", SECRET.to_owned()),
            ("WEBHOOK_RETRY_SECONDS", "1".to_owned()),
            ("WEBHOOK_LEASE_SECONDS", "10".to_owned()),
            ("WEBHOOK_MAX_ATTEMPTS", "100".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let scope = Scope::new(moment_company, dkplus_company);
    let rt = runtime();
    let store: Arc<dyn Store> = rt.block_on(store::open(store_url)).unwrap();
    let started = Instant::now();

    let ports: Vec<u16> = (0..receivers).map(|_| free_port()).collect();
    let mut running: Vec<Program> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| Program::receiver(&format!("receiver-{i}"), *port, &env, &dir))
        .collect();
    let mut backfill_programs: Vec<Program> = (0..backfills)
        .map(|i| {
            Program::start(
                env!("CARGO_BIN_EXE_backfill"),
                &format!("backfill-{i}"),
                &["2020-01-01"],
                &env,
                &dir,
            )
        })
        .collect();
    let urls: Vec<String> = ports
        .iter()
        .map(|port| format!("http://127.0.0.1:{port}/webhooks/moment?secret={SECRET}"))
        .collect();

    // Moment delivers every invoice's webhook twice while the backfills run; meanwhile one
    // receiver is killed once a hundred invoices are booked, and started again.
    let posted = |store: &Arc<dyn Store>| {
        rt.block_on(store.ledger(&scope))
            .unwrap()
            .iter()
            .filter(|e| e.state == LedgerState::Posted)
            .count()
    };
    let mut kills = 0;
    let deliveries = std::thread::scope(|s| {
        let delivering = s.spawn(|| [fakes.deliver(&urls), fakes.deliver(&urls)]);
        wait_for(
            "a hundred invoices booked",
            Duration::from_secs(300),
            || posted(&store) >= 100,
        );
        running[receivers - 1].kill();
        kills += 1;
        std::thread::sleep(Duration::from_millis(300));
        running[receivers - 1] = Program::receiver(
            &format!("receiver-{}-restarted", receivers - 1),
            ports[receivers - 1],
            &env,
            &dir,
        );
        delivering.join().unwrap()
    });
    for delivery in deliveries {
        assert_eq!(delivery.failed, 0, "{delivery:?}");
        assert_eq!(delivery.delivered, INVOICES, "{delivery:?}");
    }
    for program in &mut backfill_programs {
        let status = program.wait(Duration::from_secs(600));
        assert!(
            matches!(status, Some(0 | 1)),
            "{} ended with {status:?}\n{}",
            program.name,
            program.log_text()
        );
    }
    let queued = |state| rt.block_on(store.jobs(&scope, state)).unwrap().len();
    wait_for(
        "the receivers' queues are empty",
        Duration::from_secs(600),
        || queued(JobState::Queued) + queued(JobState::Leased) == 0,
    );

    // DK+ calms down; after the settle time a clean run resolves what is still unclear. It
    // continues from the store's cursor (no date): whatever an earlier run could not finish
    // must be in the store, not found again by looking further back.
    fakes.command("calm");
    std::thread::sleep(Duration::from_secs(SETTLE_SECONDS + 2));
    let mut clean = Program::start(env!("CARGO_BIN_EXE_backfill"), "clean-run", &[], &env, &dir);
    let status = clean.wait(Duration::from_secs(600));
    assert_eq!(
        status,
        Some(0),
        "the clean run failed\n{}",
        clean.log_text()
    );

    let books = fakes.books();
    let ledger = rt.block_on(store.ledger(&scope)).unwrap();
    let duplicates: usize = books.duplicates.values().map(|n| n - 1).sum();
    let lost = books.missing.len();
    let faults = books.faults.total();
    let processes = receivers + backfills;
    println!(
        "multi-process: {processes} processes, {INVOICES} invoices, {faults} faults, {kills} kills, {duplicates} duplicates, {lost} lost"
    );
    println!(
        "  ({label}: {} s; DK+ faults {:?}; {} jobs dead-lettered)",
        started.elapsed().as_secs(),
        books.faults,
        queued(JobState::Dead)
    );
    assert_eq!(books.moment_invoices, INVOICES);
    assert_eq!(duplicates, 0, "{:?}", books.duplicates);
    assert_eq!(lost, 0, "{:?}", books.missing);
    assert!(
        books.faults.server_errors > 0
            && books.faults.rate_limited > 0
            && books.faults.lost_invoice_answers > 0,
        "every kind of fault was injected: {books:?}"
    );
    assert_eq!(queued(JobState::Dead), 0, "no webhook event was given up");
    assert_eq!(ledger.len(), INVOICES);
    for entry in &ledger {
        assert_eq!(entry.state, LedgerState::Posted, "{entry:?}");
        assert_eq!(
            entry.dkplus_number.as_ref(),
            books.numbers.get(&entry.reference),
            "the ledger's number is DK+'s: {entry:?}"
        );
    }
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn three_receivers_and_two_backfills_on_postgresql_book_every_invoice_once() {
    let url = std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "TEST_POSTGRES_URL is not set: this test needs a real PostgreSQL server. Run the \
             tests with `bash .ci/test`, which starts one"
        )
    });
    run("postgres", &url, 3, 2);
}

#[test]
fn a_receiver_and_a_backfill_on_one_sqlite_file_book_every_invoice_once() {
    let dir = temp_dir("sqlite-store");
    let url = format!("sqlite:{}", dir.join("state.db").display());
    run("sqlite", &url, 1, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
