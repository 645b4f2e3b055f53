//! Typed rows of the farm's core tables, read and written through a
//! [`FarmTx`](crate::context::FarmTx) (so row-level security scopes them).
//! Columns the database fills (ids, defaults, timestamps) are optional on
//! insert and present on every row read back.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A row type of one tenant table.
pub trait Record: Serialize + DeserializeOwned {
    /// The table the rows live in.
    const TABLE: &'static str;
}

/// A variety of seed the farm grows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedVariety {
    /// Set by the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Unique within the farm.
    pub name: String,
    /// Days from sowing to harvest.
    pub days_to_harvest: i32,
    /// Seed per tray, in grams.
    pub seed_grams_per_tray: i32,
    /// Price of one tray, in cents.
    pub price_cents_per_tray: i32,
}

impl Record for SeedVariety {
    const TABLE: &'static str = "seed_varieties";
}

/// Where a batch of trays is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BatchStatus {
    /// Not sown yet.
    Planned,
    /// Sown and growing.
    Growing,
    /// Harvested.
    Harvested,
    /// Thrown away.
    Discarded,
}

/// Trays of one variety sown together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Set by the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The variety sown (in the same farm).
    pub variety_id: Uuid,
    /// The rack or room, if any (in the same farm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<Uuid>,
    /// Growing unless said otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<BatchStatus>,
    /// Number of trays.
    pub trays: i32,
    /// When it was sown.
    pub sown_at: DateTime<Utc>,
    /// When it was harvested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harvested_at: Option<DateTime<Utc>>,
    /// Harvested weight, in grams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yield_grams: Option<i32>,
}

impl Record for Batch {
    const TABLE: &'static str = "batches";
}

/// Someone the farm sells to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Set by the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Email, unique within the farm regardless of case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Record for Customer {
    const TABLE: &'static str = "customers";
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed.
    Pending,
    /// Accepted by the farm.
    Confirmed,
    /// Delivered.
    Delivered,
    /// Cancelled.
    Cancelled,
}

/// A customer's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Set by the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The customer (in the same farm).
    pub customer_id: Uuid,
    /// Pending unless said otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    /// Day of delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_date: Option<NaiveDate>,
    /// Total, in cents.
    pub total_cents: i64,
}

impl Record for Order {
    const TABLE: &'static str = "orders";
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Set by the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The order (in the same farm).
    pub order_id: Uuid,
    /// The variety sold (in the same farm).
    pub variety_id: Uuid,
    /// Trays.
    pub quantity: i32,
    /// Price of one tray, in cents.
    pub unit_price_cents: i32,
}

impl Record for OrderItem {
    const TABLE: &'static str = "order_items";
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    /// To do.
    Open,
    /// Started.
    InProgress,
    /// Done.
    Done,
}

/// Work for someone on the farm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Set by the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// What to do.
    pub title: String,
    /// Who does it: a member of the same farm (cleared when they leave it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// The batch it is about (in the same farm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<Uuid>,
    /// Open unless said otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    /// When it is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
}

impl Record for Task {
    const TABLE: &'static str = "tasks";
}
