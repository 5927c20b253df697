//! A loopback TCP proxy that cuts each connection after a set number of bytes in either direction: the
//! network failing in the middle of a request or of its answer.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct Proxy {
    pub url: String,
    limits: Arc<(AtomicUsize, AtomicUsize)>,
    stop: Arc<AtomicBool>,
    /// Connections cut so far.
    pub cuts: Arc<AtomicUsize>,
}

impl Proxy {
    /// A proxy to the server at `target` (`http://127.0.0.1:PORT`).
    pub fn start(target: &str) -> Proxy {
        let to: SocketAddr = target.trim_start_matches("http://").parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let limits = Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let cuts = Arc::new(AtomicUsize::new(0));
        let (l, s, c) = (limits.clone(), stop.clone(), cuts.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(to) else { continue };
                        let (up, down) = (l.0.load(Ordering::Relaxed), l.1.load(Ordering::Relaxed));
                        pipe(client.try_clone().unwrap(), server.try_clone().unwrap(), up, c.clone());
                        pipe(server, client, down, c.clone());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Proxy { url, limits, stop, cuts }
    }

    /// Cuts new connections after `request` bytes towards the server or `response` bytes back (0: never).
    pub fn cut(&self, request: usize, response: usize) {
        self.limits.0.store(request, Ordering::Relaxed);
        self.limits.1.store(response, Ordering::Relaxed);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, limit: usize, cuts: Arc<AtomicUsize>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        let mut sent = 0usize;
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let n = if limit > 0 { n.min(limit - sent) } else { n };
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += n;
            if limit > 0 && sent >= limit {
                cuts.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
