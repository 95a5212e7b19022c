//! `/products` (path guessed by analogy with the verified resources).

use crate::ids::ProductId;
use crate::models::Product;
use crate::resources::{Resource, Sealed};

impl Sealed for Product {}

impl Resource for Product {
    type Id = ProductId;
    const PATH: &'static str = "products";
    fn id(&self) -> ProductId {
        self.id
    }
}
