//! The route table: every app route with who may use it. Capabilities add
//! their routes through [`Routes`]; `app.rs` turns the result into the
//! router, and tests and `safetynet routes` walk the table.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{on, MethodFilter};
use axum::Router;

use crate::shared::AppState;

/// Who may use a route. The app checks access in each handler's extractors;
/// this table lets tests walk every route and prove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    SignedInOnly,
    /// Any member of the practice (manager, champion, staff).
    PracticeMember,
    PracticeManager,
    /// The practice manager or a cyber champion (resilience pages, read-only for champions).
    ManagerOrChampion,
    Operator,
    /// A script with a practice manager's API key (the GoPhish-compatible API).
    ApiKey,
}

#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// A router that remembers what it was given.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add<H, T>(
        mut self,
        method: &'static str,
        filter: MethodFilter,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter, h));
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add("GET", MethodFilter::GET, path, access, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add("POST", MethodFilter::POST, path, access, h)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add("PUT", MethodFilter::PUT, path, access, h)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Self {
        self.add("DELETE", MethodFilter::DELETE, path, access, h)
    }

    /// A route that takes an upload larger than the default body limit.
    pub fn post_upload<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        limit: usize,
        h: H,
    ) -> Self {
        self.add_limited("POST", MethodFilter::POST, path, access, limit, h)
    }

    /// A PUT that takes a body larger than the default limit.
    pub fn put_upload<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        limit: usize,
        h: H,
    ) -> Self {
        self.add_limited("PUT", MethodFilter::PUT, path, access, limit, h)
    }

    fn add_limited<H: Handler<T, AppState>, T: 'static>(
        mut self,
        method: &'static str,
        filter: MethodFilter,
        path: &'static str,
        access: Access,
        limit: usize,
        h: H,
    ) -> Self {
        self.router = self
            .router
            .route(path, on(filter, h).layer(DefaultBodyLimit::max(limit)));
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        self
    }
}

impl Routes {
    /// The router and the table, for `app.rs`.
    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}
