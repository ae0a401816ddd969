//! The embedded broker as a child process of an executable with a `broker` subcommand
//! (`baocao broker`), on a free 127.0.0.1 port: the one way the demo, the benchmarks and
//! the tests start it. A port probed free can be taken by another process before the
//! broker binds it (the broker then exits at once and someone else answers on "our"
//! port), so a start that does not stay up is retried on a new port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// Starts on a new port at most this many times.
const START_ATTEMPTS: usize = 3;
/// How long a started broker has to accept connections.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(20);
/// A broker still running this long after it listens is the one that bound the port.
const SETTLE: Duration = Duration::from_millis(300);

/// A running `broker` child: its bootstrap address and data directory; killed when
/// dropped.
pub struct BrokerProcess {
    /// `127.0.0.1:<port>`, what clients bootstrap from.
    pub addr: String,
    /// Holds `broker/` (the sqlite data) and `broker.log`.
    pub dir: PathBuf,
    exe: PathBuf,
    child: Option<Child>,
}

/// A free `127.0.0.1:<port>` (the port the kernel picked, released again).
pub fn free_local_addr() -> Result<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|source| Error::Spawn {
            what: "find a free port".into(),
            source,
        })?
        .port();
    Ok(format!("127.0.0.1:{port}"))
}

/// Waits up to `timeout` until something accepts connections on `addr`.
pub fn wait_for_listener(addr: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while std::net::TcpStream::connect(addr).is_err() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

impl BrokerProcess {
    /// Runs `<exe> broker` with its data in `<dir>/broker` and its log in
    /// `<dir>/broker.log`, on a free port (a new one if the first was taken).
    pub fn start(exe: &Path, dir: &Path) -> Result<Self> {
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            let mut broker = BrokerProcess {
                addr: free_local_addr()?,
                dir: dir.to_path_buf(),
                exe: exe.to_path_buf(),
                child: None,
            };
            match broker.spawn() {
                Ok(()) => return Ok(broker),
                Err(err) => last_error = Some(err),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::NotListening("the broker did not start".into())))
    }

    fn spawn(&mut self) -> Result<()> {
        let log_path = self.dir.join("broker.log");
        let log = std::fs::File::create(&log_path).map_err(|source| Error::Spawn {
            what: format!("create {}", log_path.display()),
            source,
        })?;
        let child = Command::new(&self.exe)
            .args(["broker", "--listen", &self.addr, "--storage-dir"])
            .arg(self.dir.join("broker"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|source| Error::Spawn {
                what: format!("run {} broker", self.exe.display()),
                source,
            })?;
        self.child = Some(child);
        if !wait_for_listener(&self.addr, LISTEN_TIMEOUT) {
            self.kill();
            return Err(Error::NotListening(format!(
                "the broker did not listen on {} within {} s; see {}",
                self.addr,
                LISTEN_TIMEOUT.as_secs(),
                log_path.display()
            )));
        }
        std::thread::sleep(SETTLE);
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            self.child = None;
            return Err(Error::NotListening(format!(
                "the broker on {} exited at start ({status}); port taken?",
                self.addr
            )));
        }
        Ok(())
    }

    /// SIGKILL: the broker vanishes without a goodbye.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What a supervisor does: if the broker process has exited (`baocao broker` exits
    /// when a broker task panics), start it again on the same address and data. Returns
    /// whether it had to.
    pub fn supervise(&mut self) -> Result<bool> {
        let exited = match self.child.as_mut() {
            Some(child) => child.try_wait().ok().flatten().is_some(),
            None => false,
        };
        if exited {
            self.child = None;
            self.spawn()?;
        }
        Ok(exited)
    }

    /// Starts again on the same address and data.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        self.spawn()
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
