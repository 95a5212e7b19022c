//! `/customers`.

use crate::ids::CustomerId;
use crate::models::Customer;
use crate::resources::{Resource, Sealed};

impl Sealed for Customer {}

impl Resource for Customer {
    type Id = CustomerId;
    const PATH: &'static str = "customers";
    fn id(&self) -> CustomerId {
        self.id
    }
}
