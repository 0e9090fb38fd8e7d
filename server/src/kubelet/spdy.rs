//! SPDY/3.1 framing, as kube's port-forward speaks it: kubectl opens a pair of streams per forwarded
//! connection (an error stream and a data stream, told apart by their `streamtype`, `port` and `requestid`
//! headers), the kubelet replies to each, and bytes flow in DATA frames until either side sends FIN.
//! Header blocks are zlib streams primed with the SPDY/3 dictionary, one per direction for the whole
//! session. Flow control is not enforced (kube's spdystream does not either).

use std::sync::OnceLock;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// FLAG_FIN: the sender is done with the stream.
pub const FIN: u8 = 0x01;

/// The SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): length-prefixed words, then a
/// run of common values.
fn dictionary() -> &'static [u8] {
    static DICT: OnceLock<Vec<u8>> = OnceLock::new();
    DICT.get_or_init(|| {
        const WORDS: &[&str] = &[
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
            "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
            "cache-control", "connection", "content-base", "content-encoding", "content-language",
            "content-length", "content-location", "content-md5", "content-range", "content-type",
            "date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since",
            "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
            "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range",
            "referer", "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade",
            "user-agent", "vary", "via", "warning", "www-authenticate", "method", "get", "status",
            "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin",
        ];
        const TAIL: &str = concat!(
            "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
            "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request",
            "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented",
            "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ",
            "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,",
            "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=",
            "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
        );
        let mut d = Vec::new();
        for w in WORDS {
            d.extend_from_slice(&(w.len() as u32).to_be_bytes());
            d.extend_from_slice(w.as_bytes());
        }
        d.extend_from_slice(TAIL.as_bytes());
        d
    })
}

/// What a session's writer sends: a reply (whose header block needs the session's compressor) or a
/// frame already built.
pub enum Out {
    Reply(u32),
    Frame(Vec<u8>),
}

/// Splits a SPDY connection: a writer task that owns the write half and the session's compressor, fed
/// through the returned sender (it ends once every sender is gone), and the reader for the caller.
pub fn start<IO>(
    io: IO,
) -> (
    tokio::sync::mpsc::UnboundedSender<Out>,
    Reader<tokio::io::ReadHalf<IO>>,
    tokio::task::JoinHandle<()>,
)
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let (read, mut write) = tokio::io::split(io);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Out>();
    let writer = tokio::spawn(async move {
        let mut w = Writer::default();
        while let Some(out) = rx.recv().await {
            let bytes = match out {
                Out::Reply(id) => w.syn_reply(id),
                Out::Frame(f) => f,
            };
            if write.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = write.shutdown().await;
    });
    (tx, Reader::new(read), writer)
}

/// A frame as the session needs it; frames it has no use for are `Other`.
#[derive(Debug, PartialEq)]
pub enum Frame {
    SynStream {
        id: u32,
        flags: u8,
        headers: Vec<(String, String)>,
    },
    RstStream {
        id: u32,
    },
    Ping(u32),
    GoAway,
    Data {
        id: u32,
        flags: u8,
        data: Vec<u8>,
    },
    Other,
}

fn invalid(why: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, why.into())
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}

/// Reads frames from a byte stream, inflating header blocks with the session's one zlib stream.
pub struct Reader<R> {
    io: R,
    inflate: Decompress,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub fn new(io: R) -> Self {
        Reader {
            io,
            inflate: Decompress::new(true),
        }
    }

    /// The next frame, or None at the end of the stream.
    pub async fn next(&mut self) -> std::io::Result<Option<Frame>> {
        let mut head = [0u8; 8];
        match self.io.read_exact(&mut head).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let flags = head[4];
        let length =
            (usize::from(head[5]) << 16) | (usize::from(head[6]) << 8) | usize::from(head[7]);
        if length > 16 << 20 {
            return Err(invalid(format!("a {length}-byte frame is too large")));
        }
        let mut body = vec![0u8; length];
        self.io.read_exact(&mut body).await?;
        if head[0] & 0x80 == 0 {
            let id = u32_at(&head, 0) & 0x7fff_ffff;
            return Ok(Some(Frame::Data {
                id,
                flags,
                data: body,
            }));
        }
        let version = u16::from_be_bytes([head[0] & 0x7f, head[1]]);
        if version != 3 {
            return Err(invalid(format!(
                "SPDY version {version} is not spoken here"
            )));
        }
        let kind = u16::from_be_bytes([head[2], head[3]]);
        let id = u32_at(&body, 0) & 0x7fff_ffff;
        Ok(Some(match kind {
            1 => {
                let block = body.get(10..).unwrap_or_default();
                Frame::SynStream {
                    id,
                    flags,
                    headers: self.headers(block)?,
                }
            }
            // SYN_REPLY and HEADERS carry blocks too: they must go through the zlib stream.
            2 | 8 => {
                self.headers(body.get(4..).unwrap_or_default())?;
                Frame::Other
            }
            3 => Frame::RstStream { id },
            6 => Frame::Ping(u32_at(&body, 0)),
            7 => Frame::GoAway,
            _ => Frame::Other,
        }))
    }

    fn headers(&mut self, block: &[u8]) -> std::io::Result<Vec<(String, String)>> {
        let mut plain = Vec::with_capacity(block.len() * 4 + 64);
        let mut consumed = 0usize;
        let start_in = self.inflate.total_in();
        while consumed < block.len() {
            plain.reserve(4096);
            match self
                .inflate
                .decompress_vec(&block[consumed..], &mut plain, FlushDecompress::Sync)
            {
                Ok(_) => {}
                Err(e) if e.needs_dictionary().is_some() => {
                    self.inflate
                        .set_dictionary(dictionary())
                        .map_err(|e| invalid(format!("the header dictionary: {e}")))?;
                }
                Err(e) => return Err(invalid(format!("a header block: {e}"))),
            }
            let now = usize::try_from(self.inflate.total_in() - start_in).unwrap_or(usize::MAX);
            if now == consumed && plain.capacity() > plain.len() {
                break;
            }
            consumed = now;
        }
        parse_block(&plain)
    }
}

/// An uncompressed header block: a count, then length-prefixed names and values.
fn parse_block(plain: &[u8]) -> std::io::Result<Vec<(String, String)>> {
    let mut at = 4usize;
    let count = u32_at(plain, 0) as usize;
    let mut out = Vec::new();
    let take = |at: &mut usize| -> std::io::Result<String> {
        let len = u32_at(plain, *at) as usize;
        let text = plain
            .get(*at + 4..*at + 4 + len)
            .ok_or_else(|| invalid("a header block ends early"))?;
        *at += 4 + len;
        Ok(String::from_utf8_lossy(text).into_owned())
    };
    for _ in 0..count.min(1024) {
        let name = take(&mut at)?.to_ascii_lowercase();
        let value = take(&mut at)?;
        out.push((name, value));
    }
    Ok(out)
}

/// Builds frames, deflating header blocks with the session's one zlib stream.
pub struct Writer {
    deflate: Compress,
}

impl Default for Writer {
    fn default() -> Self {
        let mut deflate = Compress::new(Compression::default(), true);
        // A fresh zlib stream always takes a dictionary.
        let _ = deflate.set_dictionary(dictionary());
        Writer { deflate }
    }
}

fn control(kind: u16, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(8 + body.len());
    f.extend_from_slice(&[0x80, 3]);
    f.extend_from_slice(&kind.to_be_bytes());
    let len = (body.len() as u32).to_be_bytes();
    f.extend_from_slice(&[flags, len[1], len[2], len[3]]);
    f.extend_from_slice(body);
    f
}

impl Writer {
    fn block(&mut self, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut plain = (headers.len() as u32).to_be_bytes().to_vec();
        for (k, v) in headers {
            for s in [k, v] {
                plain.extend_from_slice(&(s.len() as u32).to_be_bytes());
                plain.extend_from_slice(s.as_bytes());
            }
        }
        let mut out = Vec::with_capacity(plain.len() + 64);
        let start = self.deflate.total_in();
        loop {
            out.reserve(256);
            let done = usize::try_from(self.deflate.total_in() - start).unwrap_or(usize::MAX);
            let rest = plain.get(done..).unwrap_or_default();
            if self
                .deflate
                .compress_vec(rest, &mut out, FlushCompress::Sync)
                .is_err()
            {
                break;
            }
            let done = usize::try_from(self.deflate.total_in() - start).unwrap_or(usize::MAX);
            // A sync flush is complete once all input is in and the output did not fill up.
            if done >= plain.len() && out.len() < out.capacity() {
                break;
            }
        }
        out
    }

    /// SYN_REPLY accepting stream `id`.
    pub fn syn_reply(&mut self, id: u32) -> Vec<u8> {
        let mut body = id.to_be_bytes().to_vec();
        body.extend(self.block(&[]));
        control(2, 0, &body)
    }

    pub fn ping(id: u32) -> Vec<u8> {
        control(6, 0, &id.to_be_bytes())
    }

    pub fn rst_stream(id: u32, status: u32) -> Vec<u8> {
        let mut body = id.to_be_bytes().to_vec();
        body.extend(status.to_be_bytes());
        control(3, 0, &body)
    }

    pub fn data(id: u32, flags: u8, data: &[u8]) -> Vec<u8> {
        let mut f = Vec::with_capacity(8 + data.len());
        f.extend_from_slice(&(id & 0x7fff_ffff).to_be_bytes());
        let len = (data.len() as u32).to_be_bytes();
        f.extend_from_slice(&[flags, len[1], len[2], len[3]]);
        f.extend_from_slice(data);
        f
    }

    /// SYN_STREAM opening stream `id` with headers (the client's side, which only tests play).
    #[cfg(test)]
    pub fn syn_stream(&mut self, id: u32, flags: u8, headers: &[(&str, &str)]) -> Vec<u8> {
        let mut body = id.to_be_bytes().to_vec();
        body.extend([0, 0, 0, 0, 0, 0]);
        body.extend(self.block(headers));
        control(1, flags, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_is_the_spdy3_one() {
        let d = dictionary();
        assert_eq!(d.len(), 1423);
        assert_eq!(&d[..11], b"\0\0\0\x07options");
        assert!(d.ends_with(b"enq=0."));
    }

    #[tokio::test]
    async fn frames_and_header_blocks_round_trip() {
        let mut w = Writer::default();
        let mut bytes = w.syn_stream(
            1,
            0,
            &[("streamtype", "error"), ("port", "80"), ("requestid", "0")],
        );
        bytes.extend(w.syn_stream(
            3,
            FIN,
            &[("streamType", "data"), ("port", "80"), ("requestID", "0")],
        ));
        bytes.extend(Writer::data(3, FIN, b"hello"));
        bytes.extend(Writer::ping(7));
        bytes.extend(w.syn_reply(5));
        bytes.extend(Writer::rst_stream(3, 5));
        let mut r = Reader::new(bytes.as_slice());
        let header = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            r.next().await.ok().flatten(),
            Some(Frame::SynStream {
                id: 1,
                flags: 0,
                headers: vec![
                    header("streamtype", "error"),
                    header("port", "80"),
                    header("requestid", "0")
                ]
            })
        );
        assert_eq!(
            r.next().await.ok().flatten(),
            Some(Frame::SynStream {
                id: 3,
                flags: FIN,
                headers: vec![
                    header("streamtype", "data"),
                    header("port", "80"),
                    header("requestid", "0")
                ]
            })
        );
        assert_eq!(
            r.next().await.ok().flatten(),
            Some(Frame::Data {
                id: 3,
                flags: FIN,
                data: b"hello".to_vec()
            })
        );
        assert_eq!(r.next().await.ok().flatten(), Some(Frame::Ping(7)));
        assert_eq!(r.next().await.ok().flatten(), Some(Frame::Other));
        assert_eq!(
            r.next().await.ok().flatten(),
            Some(Frame::RstStream { id: 3 })
        );
        assert_eq!(r.next().await.ok().flatten(), None);
    }
}
