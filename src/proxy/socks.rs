//! The SOCKS5 server grammers talks to (RFC 1928), with username/password authentication
//! (RFC 1929): grammers 0.11 reaches Telegram directly or through SOCKS5 only, so the relay
//! poses as its SOCKS5 proxy. Only `CONNECT` to an IP address is served (grammers asks for
//! nothing else), and only with this process's random credentials, so no other local program
//! can use the relay.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The credentials grammers is given, drawn per process.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    pub fn random() -> Credentials {
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).expect("the system's random number generator works");
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        Credentials {
            user: hex(&bytes[..8]),
            password: hex(&bytes[8..]),
        }
    }
}

/// Reply codes (RFC 1928 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Succeeded = 0x00,
    GeneralFailure = 0x01,
    NotAllowed = 0x02,
    HostUnreachable = 0x04,
    ConnectionRefused = 0x05,
    TtlExpired = 0x06,
    CommandNotSupported = 0x07,
    AddressTypeNotSupported = 0x08,
}

/// Why a SOCKS5 client was turned away before its request.
#[derive(Debug, thiserror::Error)]
pub enum SocksError {
    #[error("not a SOCKS5 client")]
    NotSocks5,
    #[error("wrong or missing SOCKS5 credentials")]
    Unauthorized,
    #[error("a SOCKS5 request the relay does not serve")]
    Unsupported,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Greets the client, checks its credentials and reads its `CONNECT`: the address asked for.
/// On error the client has been told (where SOCKS5 has a way to tell it).
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    credentials: &Credentials,
) -> Result<SocketAddr, SocksError> {
    let [version, n] = read_array(stream).await?;
    if version != 5 {
        return Err(SocksError::NotSocks5);
    }
    let mut methods = vec![0u8; usize::from(n)];
    stream.read_exact(&mut methods).await?;
    if !methods.contains(&0x02) {
        stream.write_all(&[5, 0xff]).await?;
        return Err(SocksError::Unauthorized);
    }
    stream.write_all(&[5, 0x02]).await?;

    let [auth_version, user_len] = read_array(stream).await?;
    let mut user = vec![0u8; usize::from(user_len)];
    stream.read_exact(&mut user).await?;
    let [password_len] = read_array(stream).await?;
    let mut password = vec![0u8; usize::from(password_len)];
    stream.read_exact(&mut password).await?;
    let accepted = auth_version == 1
        && user == credentials.user.as_bytes()
        && password == credentials.password.as_bytes();
    stream.write_all(&[1, if accepted { 0 } else { 1 }]).await?;
    if !accepted {
        return Err(SocksError::Unauthorized);
    }

    let [version, command, _reserved, address_type] = read_array(stream).await?;
    if version != 5 {
        return Err(SocksError::NotSocks5);
    }
    let ip = match address_type {
        1 => IpAddr::V4(Ipv4Addr::from(read_array::<4, _>(stream).await?)),
        4 => IpAddr::V6(Ipv6Addr::from(read_array::<16, _>(stream).await?)),
        _ => {
            reply(stream, Reply::AddressTypeNotSupported).await?;
            return Err(SocksError::Unsupported);
        }
    };
    let port = u16::from_be_bytes(read_array(stream).await?);
    if command != 1 {
        reply(stream, Reply::CommandNotSupported).await?;
        return Err(SocksError::Unsupported);
    }
    Ok(SocketAddr::new(ip, port))
}

/// Answers the `CONNECT` (the bound address is not meaningful here: 0.0.0.0:0).
pub async fn reply<S: AsyncWrite + Unpin>(stream: &mut S, code: Reply) -> std::io::Result<()> {
    stream
        .write_all(&[5, code as u8, 0, 1, 0, 0, 0, 0, 0, 0])
        .await
}

async fn read_array<const N: usize, S: AsyncRead + Unpin>(
    stream: &mut S,
) -> std::io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    stream.read_exact(&mut bytes).await?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            user: "u".into(),
            password: "pw".into(),
        }
    }

    /// tokio-socks, the client grammers uses, against this server.
    async fn connect_with(
        user: &str,
        password: &str,
        target: SocketAddr,
        answer: Reply,
    ) -> (Result<SocketAddr, String>, Result<(), String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let asked = accept(&mut stream, &credentials()).await;
            if asked.is_ok() {
                reply(&mut stream, answer).await.unwrap();
            }
            asked.map_err(|e| e.to_string())
        });
        let client =
            tokio_socks::tcp::Socks5Stream::connect_with_password(at, target, user, password)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string());
        (server.await.unwrap(), client)
    }

    #[tokio::test]
    async fn grammers_socks_client_asks_for_its_address() {
        for target in ["149.154.167.51:443", "[2001:67c:4e8:f002::a]:443"] {
            let target: SocketAddr = target.parse().unwrap();
            let (asked, client) = connect_with("u", "pw", target, Reply::Succeeded).await;
            assert_eq!(asked.unwrap(), target);
            client.unwrap();
        }
    }

    #[tokio::test]
    async fn wrong_credentials_are_refused() {
        let target = "127.0.0.1:1".parse().unwrap();
        let (asked, client) = connect_with("u", "nope", target, Reply::Succeeded).await;
        assert!(asked.unwrap_err().contains("credentials"));
        assert!(client.is_err());
    }

    #[tokio::test]
    async fn a_failure_reply_fails_the_client() {
        let target = "127.0.0.1:1".parse().unwrap();
        let (asked, client) = connect_with("u", "pw", target, Reply::ConnectionRefused).await;
        asked.unwrap();
        assert!(client.unwrap_err().to_lowercase().contains("refused"));
    }
}
