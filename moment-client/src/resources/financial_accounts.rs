//! `/financialAccounts` (path verified by the `self` links of the captured payload).

use crate::ids::FinancialAccountId;
use crate::models::FinancialAccount;
use crate::resources::{Resource, Sealed};

impl Sealed for FinancialAccount {}

impl Resource for FinancialAccount {
    type Id = FinancialAccountId;
    const PATH: &'static str = "financialAccounts";
    fn id(&self) -> FinancialAccountId {
        self.id
    }
}
