//! OAuth2 client credentials for the systems that call our DCI endpoints: clients (kept with a hash of
//! their secret and their scopes), the token endpoint, Ed25519-signed JWTs, and the keys as JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use deadpool_postgres::{GenericClient, Pool};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ServerError};

/// The scopes a client may hold: `ibr` reads program memberships, entitlements and payments by ID;
/// `ibr.names` adds names, sex and birth date to what `ibr` answers; `sr` is a Social Registry delivering
/// answers and notifications to us.
pub const SCOPES: [&str; 3] = ["ibr", "ibr.names", "sr"];
/// How long an access token lives.
pub const TOKEN_SECONDS: i64 = 900;
/// The audience every token names: our DCI endpoints.
const AUDIENCE: &str = "br-server/dci";
pub const ISSUER: &str = "br-server";

/// What a verified token grants.
#[derive(Debug, Clone)]
pub struct Caller {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub callback_url: Option<String>,
}

impl Caller {
    pub fn may(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    scope: String,
    iat: i64,
    exp: i64,
    jti: String,
}

/// A client as `client add` made it: the secret is shown this once.
#[derive(Debug, Serialize)]
pub struct NewClient {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Serialize)]
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub callback_url: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().to_vec()
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// `br-server client add NAME --scope …`.
pub async fn client_add(pool: &Pool, name: &str, scopes: &[String], callback_url: Option<&str>) -> Result<NewClient> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(ServerError::Command("a client's name is 1 to 64 letters, digits, `-`, `_` or `.`".into()));
    }
    if scopes.is_empty() {
        return Err(ServerError::Command(format!("give at least one --scope ({})", SCOPES.join(", "))));
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(ServerError::Command(format!("unknown scope `{bad}`; the scopes are {}", SCOPES.join(", "))));
    }
    if let Some(url) = callback_url {
        let https = url.starts_with("https://");
        let loopback = url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:");
        if !(https || loopback) || url.len() > 500 {
            return Err(ServerError::Command("a callback URL is https:// (or http:// on this computer)".into()));
        }
    }
    let client_id = format!("{name}-{}", &random_token(6)[..8]);
    let secret = random_token(32);
    let client = pool.get().await?;
    let inserted = client
        .execute(
            "INSERT INTO api_clients (client_id, name, secret_hash, scopes, callback_url) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO NOTHING",
            &[&client_id, &name, &sha256(secret.as_bytes()), &scopes, &callback_url],
        )
        .await?;
    if inserted == 0 {
        return Err(ServerError::Command(format!("a client named {name} exists already")));
    }
    crate::db::audit(
        &client,
        "operator",
        "client.add",
        "ok",
        serde_json::json!({ "client": client_id, "scopes": scopes }),
    )
    .await?;
    Ok(NewClient { client_id, client_secret: secret })
}

pub async fn client_list(pool: &Pool) -> Result<Vec<ClientRow>> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT client_id, name, scopes, callback_url, created_at::text, revoked_at::text FROM api_clients ORDER BY name",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ClientRow {
            client_id: r.get(0),
            name: r.get(1),
            scopes: r.get(2),
            callback_url: r.get(3),
            created_at: r.get(4),
            revoked_at: r.get(5),
        })
        .collect())
}

/// Revokes a client: its tokens stop working at once (each request checks the client).
pub async fn client_revoke(pool: &Pool, name: &str) -> Result<()> {
    let client = pool.get().await?;
    let n = client
        .execute("UPDATE api_clients SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", &[&name])
        .await?;
    if n == 0 {
        return Err(ServerError::Command(format!("no active client named {name}")));
    }
    crate::db::audit(&client, "operator", "client.revoke", "ok", serde_json::json!({ "client": name })).await
}

/// The key that signs new tokens, made on first need.
async fn signing_key(client: &impl GenericClient) -> Result<(String, Vec<u8>)> {
    let newest = "SELECT kid, pkcs8 FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1";
    if let Some(row) = client.query_opt(newest, &[]).await? {
        return Ok((row.get(0), row.get(1)));
    }
    new_key(client).await?;
    let row = client.query_one(newest, &[]).await?;
    Ok((row.get(0), row.get(1)))
}

async fn new_key(client: &impl GenericClient) -> Result<String> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| ServerError::Config("cannot make a key".into()))?;
    let pair =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| ServerError::Config("cannot read a key".into()))?;
    let public = pair.public_key().as_ref().to_vec();
    let kid = hex::encode(&sha256(&public)[..8]);
    client
        .execute(
            "INSERT INTO signing_keys (kid, pkcs8, public_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&kid, &pkcs8.as_ref(), &public],
        )
        .await?;
    Ok(kid)
}

/// `br-server key rotate`: a new key signs from now on; the old ones verify the tokens they signed until
/// those expire, and are retired after that.
pub async fn rotate(pool: &Pool) -> Result<String> {
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE signing_keys SET retired_at = now() + make_interval(secs => $1)
             WHERE retired_at IS NULL",
            &[&(TOKEN_SECONDS as f64)],
        )
        .await?;
    let kid = new_key(&client).await?;
    crate::db::audit(&client, "operator", "key.rotate", "ok", serde_json::json!({ "kid": kid })).await?;
    Ok(kid)
}

/// The verifying keys as a JWK set.
pub async fn jwks(pool: &Pool) -> Result<serde_json::Value> {
    let client = pool.get().await?;
    signing_key(&client).await?;
    let rows = client
        .query(
            "SELECT kid, public_key FROM signing_keys WHERE retired_at IS NULL OR retired_at > now() ORDER BY kid",
            &[],
        )
        .await?;
    let keys: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let public: Vec<u8> = r.get(1);
            serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                "kid": r.get::<_, String>(0), "x": URL_SAFE_NO_PAD.encode(public)
            })
        })
        .collect();
    Ok(serde_json::json!({ "keys": keys }))
}

/// Why a token request is refused, as RFC 6749 §5.2 names it.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    InvalidRequest(&'static str),
    InvalidClient,
    UnsupportedGrantType,
    InvalidScope,
}

/// The token endpoint's work: checks the client's secret and the scopes asked for, and signs a token.
pub async fn issue(
    pool: &Pool,
    grant_type: &str,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
) -> Result<std::result::Result<serde_json::Value, TokenRefusal>> {
    if grant_type != "client_credentials" {
        return Ok(Err(TokenRefusal::UnsupportedGrantType));
    }
    if client_id.is_empty() || client_id.len() > 100 || secret.len() > 200 {
        return Ok(Err(TokenRefusal::InvalidRequest("client_id and client_secret are required")));
    }
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT secret_hash, scopes FROM api_clients WHERE client_id = $1 AND revoked_at IS NULL",
            &[&client_id],
        )
        .await?;
    let Some(row) = row else { return Ok(Err(TokenRefusal::InvalidClient)) };
    let hash: Vec<u8> = row.get(0);
    // Comparing digests, not secrets: how long the comparison takes says nothing about the secret.
    if hash != sha256(secret.as_bytes()) {
        return Ok(Err(TokenRefusal::InvalidClient));
    }
    let held: Vec<String> = row.get(1);
    let granted: Vec<String> = match scope {
        None => held,
        Some(asked) => {
            let asked: Vec<String> = asked.split_whitespace().map(str::to_string).collect();
            if asked.iter().any(|s| !held.contains(s)) {
                return Ok(Err(TokenRefusal::InvalidScope));
            }
            asked
        }
    };
    let (kid, pkcs8) = signing_key(&client).await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims {
        iss: ISSUER.into(),
        sub: client_id.into(),
        aud: AUDIENCE.into(),
        scope: granted.join(" "),
        iat: now,
        exp: now + TOKEN_SECONDS,
        jti: uuid::Uuid::now_v7().to_string(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid);
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&pkcs8))
        .map_err(|e| ServerError::Config(format!("cannot sign a token: {e}")))?;
    crate::db::audit(
        &client,
        &format!("client:{client_id}"),
        "oauth.token",
        "ok",
        serde_json::json!({ "scope": claims.scope }),
    )
    .await?;
    Ok(Ok(serde_json::json!({
        "access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS, "scope": claims.scope
    })))
}

/// A token for a callback we make to `client_id`: signed by our key, its audience the client, so the client
/// can check with our JWKS that the answer is ours.
pub async fn callback_token(pool: &Pool, client_id: &str) -> Result<String> {
    let client = pool.get().await?;
    let (kid, pkcs8) = signing_key(&client).await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = Claims {
        iss: ISSUER.into(),
        sub: ISSUER.into(),
        aud: client_id.into(),
        scope: "callback".into(),
        iat: now,
        exp: now + 300,
        jti: uuid::Uuid::now_v7().to_string(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid);
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&pkcs8))
        .map_err(|e| ServerError::Config(format!("cannot sign a token: {e}")))
}

/// Verifies a bearer token: our key, our audience, not expired, and a client that is not revoked.
/// `None` for any token that does not hold.
pub async fn verify(pool: &Pool, token: &str) -> Result<Option<Caller>> {
    let Ok(header) = jsonwebtoken::decode_header(token) else { return Ok(None) };
    let (Some(kid), Algorithm::EdDSA) = (header.kid, header.alg) else { return Ok(None) };
    let client = pool.get().await?;
    let Some(row) = crate::db::row(
        &client,
        "SELECT public_key FROM signing_keys WHERE kid = $1 AND (retired_at IS NULL OR retired_at > now())",
        &[&kid],
    )
    .await?
    else {
        return Ok(None);
    };
    let public: Vec<u8> = row.get(0);
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.leeway = 0;
    let Ok(data) = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_ed_der(&public), &validation) else {
        return Ok(None);
    };
    let claims = data.claims;
    let Some(row) = crate::db::row(
        &client,
        "SELECT callback_url FROM api_clients WHERE client_id = $1 AND revoked_at IS NULL",
        &[&claims.sub],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Caller {
        client_id: claims.sub,
        scopes: claims.scope.split_whitespace().map(str::to_string).collect(),
        callback_url: row.get(0),
    }))
}
