//! The MCP handshake answered while the session opens. `initialize` and `tools/list` need
//! nothing from the session, so a host is kept waiting neither for the session lock (a server
//! it is replacing may still hold it) nor for the SQLite opens behind it. Every other request,
//! and a `tools/list` that asks for the connection's log messages (2026-07-28), waits for the
//! server, which exists only once the lock is held and the session open: nothing reaches
//! Telegram before.

use std::sync::{Arc, OnceLock};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{
    ClientNotification, ClientRequest, ErrorData, ListToolsResult, PaginatedRequestParams,
    ProtocolVersion, ServerConfig, ServerResult,
};
use rmcp::service::{NotificationContext, RequestContext, Service};
use rmcp::{RoleServer, ServerHandler};
use tokio::sync::watch;

use crate::options::ServerOptions;
use crate::server::{TelegramServer, server_info, tool_listing};

/// What answers before the server exists: the same `initialize` and `tools/list` as it. The
/// tools (their schemas) are built at the first `tools/list`, not before `initialize`.
struct Front {
    options: ServerOptions,
    tools: OnceLock<ToolRouter<TelegramServer>>,
}

impl ServerHandler for Front {
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self
            .tools
            .get_or_init(|| crate::tools::router(&self.options));
        Ok(tool_listing(tools, &context))
    }

    fn get_info(&self) -> ServerConfig {
        server_info(&self.options)
    }
}

/// The service a host talks to from its first byte: the server once it is ready, the
/// [`Front`] before (for the requests the front can answer alone).
pub struct Starting<S> {
    front: Front,
    ready: watch::Receiver<Option<Arc<S>>>,
}

/// Hands the server to its [`Starting`] service; dropped without it, the requests waiting
/// are answered that the session could not be opened.
pub struct Ready<S>(watch::Sender<Option<Arc<S>>>);

impl<S> Ready<S> {
    pub fn serve(self, server: S) {
        let _ = self.0.send(Some(Arc::new(server)));
    }
}

/// The service answering the handshake with the tools `options` offer, and where its server
/// goes once the session is open.
pub fn starting<S>(options: ServerOptions) -> (Starting<S>, Ready<S>) {
    let (sender, ready) = watch::channel(None);
    (
        Starting {
            front: Front {
                options,
                tools: OnceLock::new(),
            },
            ready,
        },
        Ready(sender),
    )
}

/// Whether the front answers `request` as the server would.
fn answered_in_front(request: &ClientRequest, context: &RequestContext<RoleServer>) -> bool {
    match request {
        ClientRequest::InitializeRequest(_)
        | ClientRequest::PingRequest(_)
        | ClientRequest::DiscoverRequest(_) => true,
        // Such a listing carries the connection's standing (see `host_log`).
        ClientRequest::ListToolsRequest(_) => !crate::host_log::asks_for_log_messages(context),
        _ => false,
    }
}

impl<S> Starting<S> {
    fn current(&self) -> Option<Arc<S>> {
        self.ready.borrow().clone()
    }

    /// The server, once it exists; an error when it never will (the session did not open:
    /// the process is stopping with the reason on stderr).
    async fn server(&self) -> Result<Arc<S>, ErrorData> {
        let mut ready = self.ready.clone();
        let server = ready.wait_for(Option::is_some).await.map_err(|_| {
            ErrorData::internal_error(
                "the session could not be opened; the server is stopping (its log says why)",
                None,
            )
        })?;
        Ok(server.clone().expect("waited for Some"))
    }
}

impl<S: Service<RoleServer>> Service<RoleServer> for Starting<S> {
    async fn handle_request(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        if let Some(server) = self.current() {
            return server.handle_request(request, context).await;
        }
        if answered_in_front(&request, &context) {
            return self.front.handle_request(request, context).await;
        }
        let server = tokio::select! {
            server = self.server() => server?,
            _ = context.ct.cancelled() => {
                return Err(ErrorData::internal_error("cancelled by the client", None));
            }
        };
        server.handle_request(request, context).await
    }

    async fn handle_notification(
        &self,
        notification: ClientNotification,
        context: NotificationContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let server = match self.current() {
            Some(server) => server,
            None => self.server().await?,
        };
        server.handle_notification(notification, context).await
    }

    fn get_info(&self) -> ServerConfig {
        server_info(&self.front.options)
    }

    fn supported_protocol_versions(&self) -> std::borrow::Cow<'static, [ProtocolVersion]> {
        Service::supported_protocol_versions(&self.front)
    }
}
