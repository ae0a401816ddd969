//! Flight SQL metadata calls without a catalog (what ADBC and the JDBC driver send when a
//! tool lists tables) are answered for the session's catalog. The underlying service only
//! lists the tables of a *named* catalog; this wrapper names the default one and passes
//! every other call through unchanged.

use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::{Any, Command};
use arrow_flight::{
    Action, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest, PollInfo,
    SchemaResult, Ticket,
};
use datafusion_flight_sql_server::service::FlightSqlService;
use prost::Message;
use tonic::{Request, Response, Status, Streaming};

/// DataFusion's default catalog, where the analysts' tables live.
pub const DEFAULT_CATALOG: &str = "datafusion";

/// The Flight SQL service with default-catalog metadata requests.
pub struct WithDefaultCatalog(pub FlightSqlService);

/// Rewrites `GetTables`/`GetDbSchemas` without a catalog to the default catalog.
fn name_default_catalog(descriptor: &mut FlightDescriptor) {
    let Ok(any) = Any::decode(descriptor.cmd.clone()) else {
        return;
    };
    let Ok(command) = Command::try_from(any) else {
        return;
    };
    let named = match command {
        Command::CommandGetTables(mut c) if c.catalog.is_none() => {
            c.catalog = Some(DEFAULT_CATALOG.to_string());
            Command::CommandGetTables(c)
        }
        Command::CommandGetDbSchemas(mut c) if c.catalog.is_none() => {
            c.catalog = Some(DEFAULT_CATALOG.to_string());
            Command::CommandGetDbSchemas(c)
        }
        _ => return,
    };
    descriptor.cmd = named.into_any().encode_to_vec().into();
}

#[tonic::async_trait]
impl FlightService for WithDefaultCatalog {
    type HandshakeStream = <FlightSqlService as FlightService>::HandshakeStream;
    type ListFlightsStream = <FlightSqlService as FlightService>::ListFlightsStream;
    type DoGetStream = <FlightSqlService as FlightService>::DoGetStream;
    type DoPutStream = <FlightSqlService as FlightService>::DoPutStream;
    type DoActionStream = <FlightSqlService as FlightService>::DoActionStream;
    type ListActionsStream = <FlightSqlService as FlightService>::ListActionsStream;
    type DoExchangeStream = <FlightSqlService as FlightService>::DoExchangeStream;

    async fn handshake(
        &self,
        request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        self.0.handshake(request).await
    }

    async fn list_flights(
        &self,
        request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        self.0.list_flights(request).await
    }

    async fn get_flight_info(
        &self,
        mut request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        name_default_catalog(request.get_mut());
        self.0.get_flight_info(request).await
    }

    async fn poll_flight_info(
        &self,
        mut request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        name_default_catalog(request.get_mut());
        self.0.poll_flight_info(request).await
    }

    async fn get_schema(
        &self,
        mut request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        name_default_catalog(request.get_mut());
        self.0.get_schema(request).await
    }

    async fn do_get(
        &self,
        request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        self.0.do_get(request).await
    }

    async fn do_put(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        self.0.do_put(request).await
    }

    async fn do_exchange(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        self.0.do_exchange(request).await
    }

    async fn do_action(
        &self,
        request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        self.0.do_action(request).await
    }

    async fn list_actions(
        &self,
        request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        self.0.list_actions(request).await
    }
}
