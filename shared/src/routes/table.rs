//! The table itself: every function of the API, once. See the module above for what each field
//! means and docs/architecture.md, "Adding an endpoint", for adding one.

use super::{Function, Kind, Route};
use crate::config::Needs;

const fn route(
    event: &'static str,
    method: &'static str,
    path: &'static str,
    operation: &'static str,
) -> Route {
    Route {
        method,
        path,
        event,
        operation: Some(operation),
    }
}

/// A route under `/api/v1` only, in the spelling of a source API (served as written).
const fn alias(event: &'static str, method: &'static str, path: &'static str) -> Route {
    Route {
        method,
        path,
        event,
        operation: None,
    }
}

/// Reading a contact, a group or an API key (Basic authentication) is a `GetItem`; a write
/// with an `Idempotency-Key` claims it with `PutItem` and releases it with `DeleteItem`;
/// guards of unique values are checked with `ConditionCheckItem`.
const CONTACT_WRITE: &[&str] = &["GetItem", "PutItem", "DeleteItem", "ConditionCheckItem"];

/// Every function, in the order of the contract. The order of routes on one path is the order
/// of `Allow` in a 405.
pub const FUNCTIONS: &[Function] = &[
    Function {
        name: "create-contact",
        summary: "`POST /v1/contacts`: creates a contact.",
        kind: Kind::Http,
        handler: "create_contact",
        needs: Needs::TOKEN_KEY,
        routes: &[route("Create", "POST", "/v1/contacts", "createContact")],
        dynamodb: CONTACT_WRITE,
        environment: &[],
    },
    Function {
        name: "list-contacts",
        summary: "`GET /v1/contacts`: a page of contacts, sorted, filtered by e-mail or group, or searched.",
        kind: Kind::Http,
        handler: "list_contacts",
        needs: Needs::TOKEN_AND_CURSOR_KEYS,
        routes: &[route("List", "GET", "/v1/contacts", "listContacts")],
        // GetItem: API keys, e-mail and group-name lookups; BatchGetItem: the contacts of a
        // group filter, a sorted page or a search page.
        dynamodb: &["GetItem", "Query", "BatchGetItem"],
        environment: &[],
    },
    Function {
        name: "get-contact",
        summary: "`GET /v1/contacts/{id}`: one contact.",
        kind: Kind::Http,
        handler: "get_contact",
        needs: Needs::TOKEN_KEY,
        routes: &[
            route("Get", "GET", "/v1/contacts/{id}", "getContact"),
            alias("GetSingular", "GET", "/api/v1/Contact/{id}"),
            alias("GetSingularLower", "GET", "/api/v1/contact/{id}"),
        ],
        dynamodb: &["GetItem"],
        environment: &[],
    },
    Function {
        name: "update-contact",
        summary: "`PUT /v1/contacts/{id}` (and `POST`): replaces a contact.",
        kind: Kind::Http,
        handler: "update_contact",
        needs: Needs::TOKEN_KEY,
        routes: &[
            route("Put", "PUT", "/v1/contacts/{id}", "replaceContact"),
            route("Post", "POST", "/v1/contacts/{id}", "replaceContactByPost"),
        ],
        dynamodb: CONTACT_WRITE,
        environment: &[],
    },
    Function {
        name: "patch-contact",
        summary: "`PATCH /v1/contacts/{id}`: JSON Patch or Merge Patch of a contact.",
        kind: Kind::Http,
        handler: "patch_contact",
        needs: Needs::TOKEN_KEY,
        routes: &[
            route("Patch", "PATCH", "/v1/contacts/{id}", "patchContact"),
            alias("PatchSingular", "PATCH", "/api/v1/Contact/{id}"),
            alias("PatchSingularLower", "PATCH", "/api/v1/contact/{id}"),
        ],
        dynamodb: CONTACT_WRITE,
        environment: &[],
    },
    Function {
        name: "delete-contact",
        summary: "`DELETE /v1/contacts/{id}`: moves a contact to the trash, or erases it (`?permanent=true`).",
        kind: Kind::Http,
        handler: "delete_contact",
        needs: Needs::TOKEN_KEY,
        routes: &[route(
            "Delete",
            "DELETE",
            "/v1/contacts/{id}",
            "deleteContact",
        )],
        // PutItem: the trash entry and its pointer, an erase's change entry; Query: the stored
        // answers an erase removes.
        dynamodb: &["GetItem", "DeleteItem", "PutItem", "Query"],
        environment: &[],
    },
    Function {
        name: "list-trash",
        summary: "`GET /v1/contacts/trash`: a page of deleted contacts, most recently deleted first.",
        kind: Kind::Http,
        handler: "list_trash",
        needs: Needs::TOKEN_AND_CURSOR_KEYS,
        routes: &[route("Trash", "GET", "/v1/contacts/trash", "listTrash")],
        dynamodb: &["GetItem", "Query"],
        environment: &[],
    },
    Function {
        name: "restore-contact",
        summary: "`POST /v1/contacts/{id}/restore`: brings a contact back from the trash.",
        kind: Kind::Http,
        handler: "restore_contact",
        needs: Needs::TOKEN_KEY,
        routes: &[route(
            "Restore",
            "POST",
            "/v1/contacts/{id}/restore",
            "restoreContact",
        )],
        // BatchGetItem: which of its groups still exist.
        dynamodb: &[
            "GetItem",
            "PutItem",
            "DeleteItem",
            "ConditionCheckItem",
            "BatchGetItem",
        ],
        environment: &[],
    },
    Function {
        name: "bulk-delete-contacts",
        summary: "`POST /v1/contacts/bulk-delete`: deletes up to 100 contacts, each reported.",
        kind: Kind::Http,
        handler: "bulk_delete_contacts",
        needs: Needs::TOKEN_KEY,
        routes: &[route(
            "BulkDelete",
            "POST",
            "/v1/contacts/bulk-delete",
            "bulkDeleteContacts",
        )],
        // PutItem: the Idempotency-Key record, each contact's trash entry and pointer.
        dynamodb: &["GetItem", "DeleteItem", "PutItem"],
        environment: &[],
    },
    Function {
        name: "import-contacts",
        summary: "`POST /v1/contacts/import`: creates or replaces up to 100 contacts by e-mail.",
        kind: Kind::Http,
        handler: "import_contacts",
        needs: Needs::TOKEN_KEY,
        routes: &[route(
            "Import",
            "POST",
            "/v1/contacts/import",
            "importContacts",
        )],
        // Each item's transaction (contact, guard, memberships) and the Idempotency-Key record.
        dynamodb: CONTACT_WRITE,
        environment: &[],
    },
    Function {
        name: "list-changes",
        summary: "`GET /v1/changes`: the change feed, from a cursor.",
        kind: Kind::Http,
        handler: "list_changes",
        needs: Needs::TOKEN_AND_CURSOR_KEYS,
        routes: &[route("List", "GET", "/v1/changes", "listChanges")],
        dynamodb: &["GetItem", "Query"],
        // Entries younger than this are not returned yet: longer than a recording write can
        // take, so no entry lands behind a cursor already given out.
        environment: &[("CHANGES_SETTLE_MS", "10000")],
    },
    Function {
        name: "record-changes",
        summary: "The DynamoDB Streams consumer of the change feed: one entry per contact or group write.",
        kind: Kind::Stream,
        handler: "record_changes",
        needs: Needs::NOTHING,
        routes: &[],
        dynamodb: &["PutItem"],
        environment: &[],
    },
    Function {
        name: "create-group",
        summary: "`POST /v1/groups`: creates a group.",
        kind: Kind::Http,
        handler: "create_group",
        needs: Needs::TOKEN_KEY,
        routes: &[route("Create", "POST", "/v1/groups", "createGroup")],
        dynamodb: &["GetItem", "PutItem", "DeleteItem"],
        environment: &[],
    },
    Function {
        name: "list-groups",
        summary: "`GET /v1/groups`: a page of groups, by creation or by name.",
        kind: Kind::Http,
        handler: "list_groups",
        needs: Needs::TOKEN_AND_CURSOR_KEYS,
        routes: &[route("List", "GET", "/v1/groups", "listGroups")],
        // BatchGetItem: the groups of a page sorted by name (read from the name guards).
        dynamodb: &["GetItem", "Query", "BatchGetItem"],
        environment: &[],
    },
    Function {
        name: "get-group",
        summary: "`GET /v1/groups/{id}`: one group.",
        kind: Kind::Http,
        handler: "get_group",
        needs: Needs::TOKEN_KEY,
        routes: &[route("Get", "GET", "/v1/groups/{id}", "getGroup")],
        dynamodb: &["GetItem"],
        environment: &[],
    },
    Function {
        name: "patch-group",
        summary: "`PATCH /v1/groups/{id}`: renames a group (JSON Patch or Merge Patch).",
        kind: Kind::Http,
        handler: "patch_group",
        needs: Needs::TOKEN_KEY,
        routes: &[route("Patch", "PATCH", "/v1/groups/{id}", "patchGroup")],
        dynamodb: &["GetItem", "PutItem", "DeleteItem"],
        environment: &[],
    },
    Function {
        name: "delete-group",
        summary: "`DELETE /v1/groups/{id}`: deletes a group that has no members.",
        kind: Kind::Http,
        handler: "delete_group",
        needs: Needs::TOKEN_KEY,
        routes: &[route("Delete", "DELETE", "/v1/groups/{id}", "deleteGroup")],
        // UpdateItem marks the group as being deleted; Query looks for members.
        dynamodb: &["GetItem", "UpdateItem", "Query", "DeleteItem"],
        environment: &[],
    },
    Function {
        name: "route-not-found",
        summary: "Every other method and path: 404, or 405 with `Allow` on a known path.",
        kind: Kind::Fallback,
        handler: "route_not_found",
        needs: Needs::NOTHING,
        routes: &[],
        dynamodb: &[],
        environment: &[],
    },
];
