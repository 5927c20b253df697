//! Households and their members from the desk: registering one with its members, a member leaving,
//! moving and a new head (`br_core::household`).

use br_core::auth::Session;
use br_core::household::{self, NewMember, RegisteredHousehold};
use br_core::registry::model::RegistrantFields;
use br_core::registry::service::RegistrantKey;
use serde::Deserialize;
use ts_rs::TS;

use crate::ops::{registry, Done, Operation, DONE};
use crate::Context;

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RegisterHouseholdRequest {
    pub fields: RegistrantFields,
    /// At most 50; at most one of kind `head`.
    pub members: Vec<NewMember>,
}
impl Operation for RegisterHouseholdRequest {
    const NAME: &'static str = "households.register";
    const CHANGES: &'static [&'static str] = &["registrants", "dashboard"];
    type Response = RegisteredHousehold;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<RegisteredHousehold> {
        household::register(registry(ctx).store(), session, self.fields, self.members)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct EndMembershipRequest {
    pub group: RegistrantKey,
    pub member: RegistrantKey,
}
impl Operation for EndMembershipRequest {
    const NAME: &'static str = "memberships.end";
    const CHANGES: &'static [&'static str] = &["registrants"];
    type Response = Done;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Done> {
        household::end_membership(registry(ctx).store(), session, &self.group, &self.member).map(|_| DONE)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct MoveMemberRequest {
    pub member: RegistrantKey,
    /// The household the person moves into; their other current households are left today.
    pub to: RegistrantKey,
    /// A membership kind code, e.g. `spouse`, `child`.
    pub kind: String,
}
impl Operation for MoveMemberRequest {
    const NAME: &'static str = "memberships.move";
    const CHANGES: &'static [&'static str] = &["registrants"];
    type Response = Done;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Done> {
        household::move_member(registry(ctx).store(), session, &self.member, &self.to, &self.kind).map(|_| DONE)
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetHeadRequest {
    pub group: RegistrantKey,
    /// A current member, who becomes the head.
    pub member: RegistrantKey,
    /// What the former head stays as (a membership kind other than `head`).
    pub former_head_kind: String,
}
impl Operation for SetHeadRequest {
    const NAME: &'static str = "memberships.set_head";
    const CHANGES: &'static [&'static str] = &["registrants"];
    type Response = Done;
    fn run(self, ctx: &Context<'_>, session: &Session) -> br_core::Result<Done> {
        household::set_head(registry(ctx).store(), session, &self.group, &self.member, &self.former_head_kind)
            .map(|_| DONE)
    }
}
