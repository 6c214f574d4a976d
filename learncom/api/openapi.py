"""The OpenAPI 3.1 document of /api/v1, built from the same vocabularies the API answers with.

Every object schema says `additionalProperties: false` and lists all its properties as
required, so a field added to a serializer without a word here fails the schema test
(tests/test_api_schema.py). Nullable values are `type: [..., "null"]`.
"""

from __future__ import annotations

from learncom import vocab
from learncom.api import services
from learncom.posts.kinds import KIND_FIELDS, KINDS
from learncom.reactions.models import REACTION_KINDS
from learncom.search.backend import FACETS, SORTS
from learncom.search.services import MAX_PAGE as SEARCH_MAX_PAGE

JSON = "application/json"
ALL_STATUSES = list(services.STATUS_KINDS)
ERROR_CODES = ["bad_request", "forbidden", "not_found", "method_not_allowed",
               "payload_too_large", "too_many_requests", "server_error"]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    """`schema` or null (a $ref cannot take a type list, so it goes in anyOf)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    nullable = dict(schema)
    nullable["type"] = [schema["type"], "null"]
    if "enum" in schema:
        nullable["enum"] = [*schema["enum"], None]
    return nullable


def _object(properties: dict, description: str | None = None) -> dict:
    schema = {"type": "object", "additionalProperties": False,
              "required": list(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


def _field_schema(spec) -> dict:
    if spec.type == "bool":
        return {"type": "boolean"}
    if spec.type == "choice":
        schema = {"type": "string", "enum": list(spec.choices)}
        return schema if spec.required else _nullable(schema)
    if spec.type == "date":
        return {"type": ["string", "null"], "format": "date"}
    return {"type": ["string", "null"],
            "description": "Markdown" if spec.type == "text" else "One line of text"}


def _kind_fields(kind: str) -> dict:
    return _object({spec.name: _field_schema(spec) for spec in KIND_FIELDS[kind]},
                   f"The fields of a post of kind `{kind}`.")


TIMESTAMP = {"type": "string", "format": "date-time",
             "description": "RFC 3339 in UTC, whole seconds, e.g. `2026-03-14T09:22:00Z`."}

POST_ITEM = {
    "id": {"type": "integer", "minimum": 1},
    "kind": {"type": "string", "enum": list(KINDS)},
    "title": {"type": "string"},
    "url": {"type": "string", "format": "uri", "description": "The post's page (absolute)."},
    "tags": {"type": "array", "items": {"type": "string"}, "description": "Tag names, A-Z."},
    "neighbourhood": _nullable(_ref("Neighbourhood")),
    "author": _nullable(_ref("Author")),
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "status": {"type": ["string", "null"], "enum": [*ALL_STATUSES, None],
               "description": "An experiment's status or a friction's change status; "
                              "null for lessons."},
}


def _schemas() -> dict:
    count = {"type": "integer", "minimum": 0}
    return {
        "Error": _object({"error": _object({
            "code": {"type": "string", "enum": ERROR_CODES},
            "message": {"type": "string", "description": "In the request's interface language "
                                                         "(Dutch unless chosen otherwise)."},
        })}),
        "Author": _object({
            "name": {"type": "string", "description": "Display name (never an e-mail address)."},
            "kind": {"type": "string", "enum": list(vocab.MEMBER_KINDS),
                     "description": "The member's self-declared kind (a badge; grants nothing)."},
        }, "A member as shown beside their posts. null where the author left (former member)."),
        "Neighbourhood": _object({
            "name": {"type": "string"},
            "slug": {"type": "string", "description": "Use it in `?neighbourhood=`."},
            "city": {"type": ["string", "null"]},
        }),
        "PostItem": _object(POST_ITEM, "A post as lists show it."),
        "PostPage": _object({
            "items": {"type": "array", "items": _ref("PostItem")},
            "total": {**count, "description": "Posts matching the filters, on all pages."},
            "page": {"type": "integer", "minimum": 1, "maximum": services.MAX_PAGE},
            "per_page": {"type": "integer", "minimum": 1, "maximum": services.MAX_PER_PAGE},
        }),
        **{kind.schema: _kind_fields(kind.name) for kind in KINDS.values()},
        "Link": _object({
            "relation": {"type": "string", "enum": list(vocab.RELATIONS)},
            "direction": {"type": "string", "enum": ["outgoing", "incoming"],
                          "description": "`outgoing`: this post <relation> the other post "
                                         "(e.g. this experiment addresses that friction); "
                                         "`incoming`: the other post <relation> this one."},
            "post_id": {"type": "integer", "minimum": 1},
            "title": {"type": "string"},
        }),
        "Reactions": _object({kind: count for kind in REACTION_KINDS},
                             "How many members reacted, per reaction."),
        "PostDetail": _object({
            **POST_ITEM,
            "body_markdown": {"type": "string"},
            "body_html": {"type": "string", "description": "The body rendered and sanitised."},
            "fields": {"oneOf": [_ref(kind.schema) for kind in KINDS.values()],
                       "description": "The fields of the post's kind."},
            "links": {"type": "array", "items": _ref("Link"),
                      "description": "Linked posts the requester can see (both directions)."},
            "reactions": _ref("Reactions"),
            "comment_count": {**count, "description": "Comments whose text the requester can "
                                                      "read (not deleted, not hidden)."},
        }, "A post with its body, kind fields, links and counts."),
        "Comment": _object({
            "id": {"type": "integer", "minimum": 1},
            "parent_id": {"type": ["integer", "null"], "minimum": 1,
                          "description": "The comment this one answers (null: a top-level "
                                         "comment). Replies nest six levels deep; deeper "
                                         "replies are listed under their sixth-level ancestor, "
                                         "so use this to see whom they answer."},
            "author": _nullable(_ref("Author")),
            "created_at": TIMESTAMP,
            "edited_at": _nullable(TIMESTAMP),
            "body_html": {"type": ["string", "null"],
                          "description": "null when deleted, or hidden by moderation and the "
                                         "requester is neither its author nor a coordinator."},
            "deleted": {"type": "boolean"},
            "hidden": {"type": "boolean", "description": "Hidden by moderation."},
            "replies": {"type": "array", "items": _ref("Comment"),
                        "description": "Oldest first."},
        }, "A comment. Deleted comments and comments hidden from the requester keep their "
           "place in the thread without text or author."),
        "Thread": _object({
            "post_id": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": _ref("Comment"),
                      "description": "Top-level comments, oldest first."},
        }),
        "TagList": _object({"items": {"type": "array", "items": _object({
            "name": {"type": "string"},
            "post_count": {"type": "integer", "minimum": 1},
        })}}),
        "NeighbourhoodList": _object({"items": {"type": "array", "items": _object({
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "city": {"type": ["string", "null"]},
            "post_count": count,
        })}}),
        "SearchResults": _object({
            "total": count,
            "page": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": _object({
                "id": {"type": "integer", "minimum": 1},
                "kind": {"type": "string", "enum": list(KINDS)},
                "title": {"type": "string"},
                "url": {"type": "string", "description": "The post's page, as a path on this "
                                                         "site (e.g. `/posts/12`)."},
                "score": {"type": "number"},
                "highlights": {"type": "array", "items": {"type": "string"},
                               "description": "Up to two snippets: HTML, the text escaped and "
                                              "the matching words in `<mark>`."},
            })},
            "facets": _object({name: {"type": "object",
                                      "additionalProperties": {"type": "integer", "minimum": 0}}
                               for name in FACETS},
                              "Per filter, the number of hits per value."),
            "suggestion": {"type": ["string", "null"],
                           "description": "A query that may find more (\"did you mean\")."},
        }),
    }


def _error(description: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": _ref("Error")}}}


def _ok(description: str, schema: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


POST_ID = {"name": "post_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}

SERVER_ERROR = {"$ref": "#/components/responses/ServerError"}
NOT_FOUND = {"$ref": "#/components/responses/NotFound"}
TOO_MANY_REQUESTS = {"$ref": "#/components/responses/TooManyRequests"}

DESCRIPTION = """\
Read-only access to the experiments, frictions and lessons on this site, their discussion
threads, tags and neighbourhoods.

**Who sees what.** Without a session you see what an anonymous visitor sees: public posts.
A request carrying a logged-in member's session cookie (log in on the site first) sees what that
member sees: also posts for members and their team's posts. Content hidden by moderation is
left out (its author and coordinators still see it). No answer ever contains an e-mail address.

**Errors** are JSON: `{"error": {"code": "...", "message": "..."}}` with status 400 (a parameter
value the API does not accept: the message names it and says why), 404 (unknown path, or
a post that does not exist or that you cannot see), 405 (any method other than GET, HEAD or
OPTIONS) or 500.

**Browsers.** Every answer carries `Access-Control-Allow-Origin: *`, so a page on another site
can read public content; browsers send no cookies with such requests.
"""


def document(server_url: str) -> dict:
    """The OpenAPI document; `server_url` is this site's absolute URL of /api/v1."""
    list_params = [
        _query("kind", {"type": "string", "enum": list(KINDS)}, "Only this kind."),
        _query("tag", {"type": "string"}, "Only posts with this tag (spelled as on the site: "
                                          "lower case, hyphens; other spellings are "
                                          "normalised). An unknown tag matches nothing."),
        _query("neighbourhood", {"type": "string"},
               "Only posts from this neighbourhood, by slug (see /neighbourhoods). "
               "An unknown slug matches nothing."),
        _query("status", {"type": "string", "enum": ALL_STATUSES},
               "Only experiments with this status or frictions with this change status (the "
               "values differ, so a status implies the kind; with another `kind` nothing "
               "matches)."),
        _query("page", {"type": "integer", "minimum": 1, "maximum": services.MAX_PAGE,
                        "default": 1}, "Page number; a page past the end is empty."),
        _query("per_page", {"type": "integer", "minimum": 1,
                            "default": services.DEFAULT_PER_PAGE},
               f"Posts per page; values above {services.MAX_PER_PAGE} are capped to "
               f"{services.MAX_PER_PAGE} (the answer's `per_page` says what was used)."),
    ]
    search_params = [
        _query("q", {"type": "string"}, "The query: all words must match (falling back to any "
                                        "word), `\"a phrase\"`, `-word`, `word*`, `OR`, and "
                                        "`tag:`, `kind:`, `wijk:`, `status:`, `author:`. "
                                        "Malformed queries never fail."),
        _query("kind", {"type": "string"}, f"{', '.join(KINDS)} (Dutch names work too)."),
        _query("tag", {"type": "string"}, "Tag name (at most 80 characters)."),
        _query("neighbourhood", {"type": "string"}, "Neighbourhood name or slug."),
        _query("wijk", {"type": "string"}, "Same as `neighbourhood` (used when that is absent)."),
        _query("status", {"type": "string"}, "An experiment or change status (Dutch names "
                                             "work too)."),
        _query("author_kind", {"type": "string"}, "The author's member kind."),
        _query("after", {"type": "string"}, "Posts created on or after this date "
                                            "(YYYY-MM-DD, YYYY-MM or YYYY)."),
        _query("before", {"type": "string"}, "Posts created on or before this date "
                                             "(YYYY-MM-DD, YYYY-MM or YYYY)."),
        _query("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"},
               "Order of the hits."),
        _query("page", {"type": "integer", "minimum": 1, "maximum": SEARCH_MAX_PAGE,
                        "default": 1}, "Page number (10 hits per page)."),
    ]

    def get(summary: str, operation_id: str, responses: dict, parameters=(),
            description: str | None = None) -> dict:
        operation = {"summary": summary, "operationId": operation_id,
                     "responses": {**responses, "429": TOO_MANY_REQUESTS, "500": SERVER_ERROR}}
        if parameters:
            operation["parameters"] = list(parameters)
        if description:
            operation["description"] = description
        return {"get": operation}

    return {
        "openapi": "3.1.0",
        "info": {"title": "learncom API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "paths": {
            "/posts": get("List posts", "listPosts", {
                "200": _ok("Posts the requester can see, newest first.", "PostPage"),
                "400": _error("A parameter has a value the API does not accept."),
            }, list_params),
            "/posts/{post_id}": get("One post", "getPost", {
                "200": _ok("The post.", "PostDetail"), "404": NOT_FOUND}, [POST_ID]),
            "/posts/{post_id}/comments": get("A post's discussion thread", "getComments", {
                "200": _ok("The thread, nested.", "Thread"), "404": NOT_FOUND}, [POST_ID]),
            "/tags": get("Tags", "listTags", {
                "200": _ok("Tags with the number of posts the requester can see under each "
                           "(tags without any are left out), most used first.", "TagList")}),
            "/neighbourhoods": get("Neighbourhoods", "listNeighbourhoods", {
                "200": _ok("The neighbourhoods, by city and name, with the number of posts "
                           "the requester can see (those without any are left out).",
                           "NeighbourhoodList")}),
            "/search": get("Search", "search", {
                "200": _ok("Hits the requester can see, 10 per page. Without `q` and "
                           "filters: no hits.", "SearchResults"),
                "400": _error("A parameter has a value the API does not accept.")},
                search_params),
            "/openapi.json": get("This document", "getOpenApi", {
                "200": {"description": "The OpenAPI 3.1 document.",
                        "content": {JSON: {"schema": {"type": "object"}}}}}),
        },
        "components": {
            "schemas": _schemas(),
            "responses": {
                "NotFound": _error("No such post, or the requester cannot see it."),
                "ServerError": _error("Something went wrong on the server."),
                "TooManyRequests": {
                    **_error("Too many requests from this address (120 a minute); wait the "
                             "number of seconds in Retry-After."),
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                },
            },
        },
    }
