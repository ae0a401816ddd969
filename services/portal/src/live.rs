//! The dashboard's live updates: a server-sent event `summary` whenever `baocao rollup`
//! writes a summary (its `lineage.json` is the last file a rollup writes), found by
//! listing the summaries every few seconds; `assets/live.js` reloads the page on it.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use baocao_store::Store;
use futures::Stream;

use crate::auth::session;
use crate::cache::fingerprint;
use crate::state::AppState;

/// How often the summaries are listed for a change.
const POLL: Duration = Duration::from_secs(3);

fn changes(summaries: Store) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold((summaries, None), |(summaries, seen)| async move {
        let mut seen = match seen {
            Some(seen) => seen,
            None => fingerprint(&summaries).await,
        };
        loop {
            tokio::time::sleep(POLL).await;
            let now = fingerprint(&summaries).await;
            if now != seen {
                seen = now;
                let event = Event::default().event("summary").data("new summary");
                return Some((Ok(event), (summaries, Some(seen))));
            }
        }
    })
}

/// `GET /dashboard/events`: the event stream of a signed-in dashboard viewer.
pub async fn events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session(&state, &headers).await {
        Some(s) if s.account.person.role.views_dashboard() && !s.account.must_change_password => {
            Sse::new(changes(state.sources().summaries.clone()))
                .keep_alive(KeepAlive::default())
                .into_response()
        }
        _ => StatusCode::FORBIDDEN.into_response(),
    }
}
