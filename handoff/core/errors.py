"""One root exception for the gateway, with the wire code, HTTP status and close code in one place.

Messages are written for the client and never contain the client's own text (no echo of customer input
into error frames or logs).
"""

from __future__ import annotations

# Error codes as they appear on the wire (docs/protocol.md, "Errors and close codes").
BAD_JSON = "bad_json"
UNKNOWN_TYPE = "unknown_type"
INVALID_FRAME = "invalid_frame"
FRAME_TOO_LARGE = "frame_too_large"
RATE_LIMITED = "rate_limited"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
CONFLICT = "conflict"
BAD_STATE = "bad_state"
OVER_CAPACITY = "over_capacity"
UNAVAILABLE = "unavailable"
INTERNAL = "internal"

ERROR_CODES = (
    BAD_JSON, UNKNOWN_TYPE, INVALID_FRAME, FRAME_TOO_LARGE, RATE_LIMITED, UNAUTHORIZED, FORBIDDEN,
    NOT_FOUND, CONFLICT, BAD_STATE, OVER_CAPACITY, UNAVAILABLE, INTERNAL,
)

# WebSocket close codes.
WS_1000_NORMAL = 1000
WS_1001_GOING_AWAY = 1001
WS_1008_POLICY_VIOLATION = 1008
WS_1009_MESSAGE_TOO_BIG = 1009
WS_1011_INTERNAL_ERROR = 1011
WS_1012_SERVICE_RESTART = 1012  # this instance is shutting down (a rolling deploy): reconnect, to another one
WS_1013_TRY_AGAIN_LATER = 1013  # Redis is unreachable for now: reconnect after the error frame's retry_after_ms
WS_4401_SESSION_EXPIRED = 4401

HTTP_STATUS = {
    BAD_JSON: 400, UNKNOWN_TYPE: 400, INVALID_FRAME: 400, FRAME_TOO_LARGE: 413, RATE_LIMITED: 429,
    UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, BAD_STATE: 409,
    OVER_CAPACITY: 409, UNAVAILABLE: 503, INTERNAL: 500,
}


class TandemError(Exception):
    """Root of every gateway error; `code` is the wire error code."""

    code: str = INTERNAL
    default_message = "internal error"

    def __init__(self, message: str | None = None, *, frame: str | None = None, ref: str | None = None,
                 retry_after_ms: int | None = None) -> None:
        self.message = message or self.default_message
        self.frame = frame
        self.ref = ref
        self.retry_after_ms = retry_after_ms
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def to_frame(self) -> dict:
        frame: dict = {"type": "error", "code": self.code, "message": self.message}
        if self.ref is not None:
            frame["ref"] = self.ref
        if self.frame is not None:
            frame["frame"] = self.frame
        if self.retry_after_ms is not None:
            frame["retry_after_ms"] = self.retry_after_ms
        return frame

    def to_json_body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class BadJson(TandemError):
    code, default_message = BAD_JSON, "expected a JSON object in a text frame"


class UnknownType(TandemError):
    code, default_message = UNKNOWN_TYPE, "unknown frame type"


class InvalidFrame(TandemError):
    code, default_message = INVALID_FRAME, "invalid frame"


class FrameTooLarge(TandemError):
    code, default_message = FRAME_TOO_LARGE, "frame larger than 8192 bytes"


class RateLimited(TandemError):
    code, default_message = RATE_LIMITED, "too many frames; slow down"


class Unauthorized(TandemError):
    code, default_message = UNAUTHORIZED, "not authorised"


class Forbidden(TandemError):
    code, default_message = FORBIDDEN, "not allowed"


class NotFound(TandemError):
    code, default_message = NOT_FOUND, "not found"


class Conflict(TandemError):
    code, default_message = CONFLICT, "conflict"


class BadState(TandemError):
    code, default_message = BAD_STATE, "not allowed in the current state"


class OverCapacity(TandemError):
    code, default_message = OVER_CAPACITY, "agent is at capacity"


class Unavailable(TandemError):
    code, default_message = UNAVAILABLE, "service temporarily unavailable"


class Internal(TandemError):
    code, default_message = INTERNAL, "internal error"


BY_CODE: dict[str, type[TandemError]] = {
    cls.code: cls
    for cls in (BadJson, UnknownType, InvalidFrame, FrameTooLarge, RateLimited, Unauthorized, Forbidden,
                NotFound, Conflict, BadState, OverCapacity, Unavailable, Internal)
}
