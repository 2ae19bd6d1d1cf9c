//! The API's resources: their paths, the scopes they need and their deterministic fake items.

use serde_json::{Value, json};

/// Number of items of each resource.
pub(crate) const LEAVE_COUNT: usize = 25;
/// Number of leave requests.
pub(crate) const LEAVE_REQUEST_COUNT: usize = 12;
/// Number of employees.
pub(crate) const EMPLOYEE_COUNT: usize = 8;

const FIRST_NAMES: [&str; EMPLOYEE_COUNT] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
];
const LAST_NAMES: [&str; EMPLOYEE_COUNT] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
];

/// A collection under `/lucca-api/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    Leaves,
    LeaveRequests,
    Employees,
}

/// The scopes an operation accepts, and the one a 403 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScopeRule {
    pub(crate) accepted: &'static [&'static str],
    pub(crate) named: &'static str,
}

impl Resource {
    /// The resource at a path relative to `/lucca-api/`.
    pub(crate) fn from_path(path: &str) -> Option<Self> {
        match path {
            "leaves" => Some(Self::Leaves),
            "leave-requests" => Some(Self::LeaveRequests),
            "employees" => Some(Self::Employees),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Leaves => "leaves",
            Self::LeaveRequests => "leave-requests",
            Self::Employees => "employees",
        }
    }

    /// Whether the resource accepts POST.
    pub(crate) fn writable(self) -> bool {
        !matches!(self, Self::Employees)
    }

    pub(crate) fn scope_rule(self, write: bool) -> ScopeRule {
        match (self, write) {
            (Self::Leaves, false) => ScopeRule {
                accepted: &["leaves.readonly", "leaves.readwrite"],
                named: "leaves.readonly",
            },
            (Self::Leaves, true) => ScopeRule {
                accepted: &["leaves.readwrite"],
                named: "leaves.readwrite",
            },
            (Self::LeaveRequests, false) => ScopeRule {
                accepted: &["leave-requests.readonly", "leave-requests.readwrite"],
                named: "leave-requests.readonly",
            },
            (Self::LeaveRequests, true) => ScopeRule {
                accepted: &["leave-requests.readwrite"],
                named: "leave-requests.readwrite",
            },
            (Self::Employees, _) => ScopeRule {
                accepted: &["employees.readonly"],
                named: "employees.readonly",
            },
        }
    }

    /// Every item, in id order.
    pub(crate) fn items(self) -> Vec<Value> {
        match self {
            Self::Leaves => (1..=LEAVE_COUNT).map(leave).collect(),
            Self::LeaveRequests => (1..=LEAVE_REQUEST_COUNT).map(leave_request).collect(),
            Self::Employees => (1..=EMPLOYEE_COUNT).map(employee).collect(),
        }
    }
}

fn employee_id(id: usize) -> usize {
    (id - 1) % EMPLOYEE_COUNT + 1
}

fn leave(id: usize) -> Value {
    json!({
        "id": id,
        "employeeId": employee_id(id),
        "date": format!("2025-03-{id:02}"),
        "halfDay": if id.is_multiple_of(2) { "PM" } else { "AM" },
        "leaveAccountId": id % 3 + 1,
        "status": "approved",
    })
}

fn leave_request(id: usize) -> Value {
    let status = ["pending", "approved", "refused"][id % 3];
    json!({
        "id": id,
        "employeeId": employee_id(id),
        "startsOn": format!("2025-04-{:02}", id * 2 - 1),
        "endsOn": format!("2025-04-{:02}", id * 2),
        "status": status,
    })
}

fn employee(id: usize) -> Value {
    let first = FIRST_NAMES.get(id - 1).copied().unwrap_or("Test");
    let last = LAST_NAMES.get(id - 1).copied().unwrap_or("User");
    json!({
        "id": id,
        "firstName": first,
        "lastName": last,
        "email": format!("{}.{}@example.com", first.to_lowercase(), last.to_lowercase()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let cases: &[(&str, Option<Resource>)] = &[
            ("leaves", Some(Resource::Leaves)),
            ("leave-requests", Some(Resource::LeaveRequests)),
            ("employees", Some(Resource::Employees)),
            ("leaves/", None),
            ("Leaves", None),
            ("", None),
        ];
        for (path, expected) in cases {
            assert_eq!(Resource::from_path(path), *expected, "{path}");
            if let Some(resource) = expected {
                assert_eq!(resource.name(), *path);
            }
        }
    }

    #[test]
    fn items() {
        let leaves = Resource::Leaves.items();
        assert_eq!(leaves.len(), 25);
        assert_eq!(
            leaves.first(),
            Some(
                &json!({"id": 1, "employeeId": 1, "date": "2025-03-01", "halfDay": "AM",
                         "leaveAccountId": 2, "status": "approved"})
            )
        );
        assert_eq!(Resource::LeaveRequests.items().len(), 12);
        assert_eq!(
            Resource::LeaveRequests.items().last(),
            Some(&json!({"id": 12, "employeeId": 4, "startsOn": "2025-04-23",
                         "endsOn": "2025-04-24", "status": "pending"}))
        );
        assert_eq!(
            Resource::Employees.items().get(7),
            Some(&json!({"id": 8, "firstName": "Ken", "lastName": "Thompson",
                         "email": "ken.thompson@example.com"}))
        );
    }
}
