//! Every DK+ operation this client can send, as data: method, path template and the query
//! parameters it may carry — each one as DK+ publishes it (the Swagger description "dkPlus API
//! v1" and DK's Postman documentation; see `docs/dkplus-api.md`).
//!
//! Requests are built only from these descriptions, and a request that names a query parameter
//! its operation does not publish is refused before it is sent, so the client cannot drift from
//! the published contract unnoticed. The contract tests check this list against the published
//! description.

use serde::Serialize;

/// One published DK+ operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Operation {
    /// Our name for it (`"sales_invoices.create"`).
    pub name: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path below the API root (`https://api.dkplus.is/api/v1`), with `{placeholders}`.
    pub path: &'static str,
    /// The query parameters the client may send with it.
    pub query: &'static [&'static str],
}

impl Operation {
    /// The path with each `{placeholder}` replaced by the next argument (not yet encoded).
    /// `None` when the number of arguments does not match.
    pub fn segments(&self, args: &[&str]) -> Option<Vec<String>> {
        let mut args = args.iter();
        let segments: Vec<String> = self
            .path
            .trim_start_matches('/')
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    args.next().map(|a| (*a).to_owned())
                } else {
                    Some(segment.to_owned())
                }
            })
            .collect::<Option<_>>()?;
        args.next().is_none().then_some(segments)
    }

    /// True when this operation publishes the query parameter `key`.
    pub fn takes_query(&self, key: &str) -> bool {
        self.query.contains(&key)
    }
}

macro_rules! operations {
    ($( $(#[$meta:meta])* $const:ident = $name:literal $method:literal $path:literal [$($q:literal),*] ),+ $(,)?) => {
        $( $(#[$meta])* pub const $const: Operation = Operation {
            name: $name,
            method: $method,
            path: $path,
            query: &[$($q),*],
        }; )+

        /// Every operation the client can send.
        pub const ALL: &[Operation] = &[$($const),+];
    };
}

operations! {
    /// `GET /company/connection`: whether DK+ reaches the company's data.
    COMPANY_CONNECTION = "company.connection" "GET" "/company/connection" [],
    /// `GET /Customer/{customer}`.
    CUSTOMER_GET = "customers.get" "GET" "/Customer/{customer}" [],
    /// `GET /Customer/page/{page}/{count}`.
    CUSTOMER_PAGE = "customers.list" "GET" "/Customer/page/{page}/{count}" [
        "group", "zipcode", "country", "salesperson", "paymentterm", "paymentmode", "novat",
        "blocked", "deleted", "modifiedBefore", "modifiedAfter", "include", "email"
    ],
    /// `GET /Customer/search/{value}/{max}`.
    CUSTOMER_SEARCH = "customers.search" "GET" "/Customer/search/{value}/{max}" [],
    /// `POST /Customer`.
    CUSTOMER_CREATE = "customers.create" "POST" "/Customer" [],
    /// `PUT /Customer/{customer}`.
    CUSTOMER_UPDATE = "customers.update" "PUT" "/Customer/{customer}" [],
    /// `DELETE /Customer/{customer}`.
    CUSTOMER_DELETE = "customers.delete" "DELETE" "/Customer/{customer}" [],
    /// `GET /project/{number}`.
    PROJECT_GET = "projects.get" "GET" "/project/{number}" [],
    /// `GET /project/page/{page}/{count}`.
    PROJECT_PAGE = "projects.list" "GET" "/project/page/{page}/{count}" [
        "modifiedBefore", "modifiedAfter", "customer", "group", "dim1", "dim2", "dim3", "type",
        "status", "include"
    ],
    /// `POST /project`.
    PROJECT_CREATE = "projects.create" "POST" "/project" [],
    /// `GET /Product/{id}` (`isBase64=true` when the item code is base64-encoded).
    PRODUCT_GET = "products.get" "GET" "/Product/{id}" ["isBase64"],
    /// `GET /Product/page/{page}/{count}`.
    PRODUCT_PAGE = "products.list" "GET" "/Product/page/{page}/{count}" [
        "inactive", "onweb", "group", "warehouse", "modified", "modifiedBefore", "deleted",
        "include"
    ],
    /// `POST /product`.
    PRODUCT_CREATE = "products.create" "POST" "/product" [],
    /// `PUT /product/{itemcode}`.
    PRODUCT_UPDATE = "products.update" "PUT" "/product/{itemcode}" ["isBase64"],
    /// `GET /sales/person/{number}`.
    SALES_PERSON_GET = "sales_persons.get" "GET" "/sales/person/{number}" [],
    /// `GET /sales/person/page/{page}/{count}`.
    SALES_PERSON_PAGE = "sales_persons.list" "GET" "/sales/person/page/{page}/{count}" [],
    /// `POST /sales/invoice` (`post=true` books it).
    INVOICE_CREATE = "sales_invoices.create" "POST" "/sales/invoice" ["post"],
    /// `GET /sales/invoice/{number}`.
    INVOICE_GET = "sales_invoices.get" "GET" "/sales/invoice/{number}" [],
    /// `GET /sales/invoice/reference/{reference}` (DK's Postman documentation).
    INVOICE_BY_REFERENCE = "sales_invoices.by_reference" "GET" "/sales/invoice/reference/{reference}" [],
    /// `GET /sales/invoice/page/{page}/{count}`.
    INVOICE_PAGE = "sales_invoices.list" "GET" "/sales/invoice/page/{page}/{count}" [
        "includeLines", "createdAfter", "createdBefore", "modifiedAfter", "modifiedBefore",
        "dueAfter", "salesPerson", "reference", "recordid", "customer", "project", "include"
    ],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_the_arguments_in_order() {
        assert_eq!(
            INVOICE_PAGE.segments(&["2", "100"]).unwrap(),
            ["sales", "invoice", "page", "2", "100"]
        );
        assert_eq!(CUSTOMER_CREATE.segments(&[]).unwrap(), ["Customer"]);
        assert_eq!(INVOICE_PAGE.segments(&["2"]), None);
        assert_eq!(CUSTOMER_CREATE.segments(&["x"]), None);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = ALL.iter().map(|o| o.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
