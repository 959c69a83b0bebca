//! The caller's `Authorization` header, kept while its request is handled so that a
//! follower forwarding the request to the leader sends the same credentials, as Kafka's
//! `RestClient` copies them onto forwarded requests. Basic authentication on the leader
//! then sees the user who called the follower.
//!
//! The header lives in a task-local set around each request's handler: herder code that
//! runs inside the handler (not on a task of its own) reads it with [`authorization`].

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

tokio::task_local! {
    static AUTHORIZATION: Option<HeaderValue>;
}

/// The middleware that keeps each request's `Authorization` header for its handler.
pub async fn keep_authorization(request: Request, next: Next) -> Response {
    let value = request.headers().get(header::AUTHORIZATION).cloned();
    AUTHORIZATION.scope(value, next.run(request)).await
}

/// The `Authorization` header of the REST request being handled, if it had one (and
/// `None` outside a request).
pub fn authorization() -> Option<HeaderValue> {
    AUTHORIZATION.try_with(Clone::clone).ok().flatten()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;

    #[tokio::test]
    async fn handlers_see_the_callers_authorization_and_nothing_leaks_outside() {
        let app = Router::new()
            .route(
                "/",
                get(|| async {
                    authorization().map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
                }),
            )
            .layer(axum::middleware::from_fn(keep_authorization));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest::Client::new();
        let with = client.get(&url).header("authorization", "Basic YTpi").send().await.unwrap();
        assert_eq!(with.text().await.unwrap(), "Basic YTpi");
        let without = client.get(&url).send().await.unwrap();
        assert_eq!(without.text().await.unwrap(), "");
        assert_eq!(authorization(), None);
    }
}
