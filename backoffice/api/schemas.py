"""The API's request and response bodies (marshmallow): the OpenAPI document is made from them."""

from __future__ import annotations

import marshmallow as ma


class ProblemSchema(ma.Schema):
    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    code = ma.fields.String()
    errors = ma.fields.Raw()


class RowErrorSchema(ma.Schema):
    row = ma.fields.Integer(metadata={"description": "The spreadsheet's row number"})
    column = ma.fields.String()
    message = ma.fields.String(metadata={"description": "In the language of Accept-Language"})


class BatchSchema(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String(
        metadata={
            "description": "processing, draft, refused, failed, submitted, in_review, completed, "
            "partially_accepted, rejected or discarded"
        }
    )
    state_label = ma.fields.String()
    checked = ma.fields.Boolean(metadata={"description": "The checks have ended"})
    filename = ma.fields.String()
    rows = ma.fields.Integer(allow_none=True)
    valid = ma.fields.Integer(allow_none=True)
    invalid = ma.fields.Integer(allow_none=True)
    accepted = ma.fields.Integer()
    rejected = ma.fields.Integer()
    pending = ma.fields.Integer()
    refusal = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    submitted_at = ma.fields.DateTime(allow_none=True)
    completed_at = ma.fields.DateTime(allow_none=True)
    same_file_as = ma.fields.List(ma.fields.Integer())


class MemberRowSchema(ma.Schema):
    """One row of a member list sent as JSON: the fields of the upload template, as its cells
    would be typed (the same checks as a file's)."""

    nik = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    birth_date = ma.fields.String(
        required=True, metadata={"description": "dd/mm/yyyy or yyyy-mm-dd"}
    )
    sex = ma.fields.String(required=True, metadata={"description": "L or P"})
    income = ma.fields.Raw(required=True, metadata={"description": "The income level, rupiah"})
    programmes = ma.fields.String(required=True, metadata={"description": "JKK,JKM[,JHT]"})
    address = ma.fields.String()
    domicile = ma.fields.String(metadata={"description": "Kemendagri code or name of the regency"})
    phone = ma.fields.String()
    occupation = ma.fields.String()
    sector = ma.fields.String()


class BatchRowsSchema(ma.Schema):
    filename = ma.fields.String(load_default="api.csv")
    rows = ma.fields.List(
        ma.fields.Nested(MemberRowSchema), required=True, validate=ma.validate.Length(min=1)
    )


class BatchUploadSchema(ma.Schema):
    file = ma.fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "XLSX or CSV"},
    )


class BatchRowSchema(ma.Schema):
    row = ma.fields.Integer()
    state = ma.fields.String(metadata={"description": "pending, invalid, accepted or rejected"})
    name = ma.fields.String(allow_none=True)
    kpj = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    errors = ma.fields.List(ma.fields.Nested(RowErrorSchema))


class RowsQuerySchema(ma.Schema):
    state = ma.fields.String(
        validate=ma.validate.OneOf(["pending", "invalid", "accepted", "rejected"])
    )
    cursor = ma.fields.String()
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class RowsPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BatchRowSchema))
    next_cursor = ma.fields.String(allow_none=True)


class MemberSchema(ma.Schema):
    kpj = ma.fields.String()
    name = ma.fields.String()
    status = ma.fields.String()
    status_label = ma.fields.String()
    status_since = ma.fields.Date(allow_none=True)
    protection_ends = ma.fields.Date(allow_none=True)
    arrears_months = ma.fields.Integer()
    monthly_contribution = ma.fields.Integer()
    start_date = ma.fields.Date()
    batch_id = ma.fields.Integer(allow_none=True)
    updated_at = ma.fields.DateTime()


class MembersQuerySchema(ma.Schema):
    updated_since = ma.fields.AwareDateTime(default_timezone=None)
    cursor = ma.fields.String()
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class MembersPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MemberSchema))
    next_cursor = ma.fields.String(allow_none=True)


class PayerUploadSchema(ma.Schema):
    department_id = ma.fields.Integer(required=True)
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class PayerResultSchema(ma.Schema):
    id = ma.fields.Integer()
    department_id = ma.fields.Integer()
    filename = ma.fields.String()
    rows = ma.fields.Integer()
    members = ma.fields.Integer()
    months = ma.fields.Integer()
    amount = ma.fields.Integer()
