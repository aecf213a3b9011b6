import { Type, type Static, type TSchema } from 'typebox';

export const Uuid = Type.String({ format: 'uuid', description: 'UUID' });
/** The languages Haven speaks: the web app's texts, and for patients the automatic replies and a crisis lexicon. */
export const LANGUAGES = ['en', 'es'] as const;
export const Language = Type.Union([Type.Literal('en'), Type.Literal('es')], { description: 'en (English) or es (Spanish)' });
export type Language = (typeof LANGUAGES)[number];
export const Timestamp = Type.String({ format: 'date-time' });
export const Email = Type.String({ format: 'email', maxLength: 254 });
export const Cursor = Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'Opaque pagination cursor' });
export const Limit = Type.Integer({ minimum: 1, maximum: 200, default: 50 });

export const StaffRole = Type.Union([
  Type.Literal('admin'),
  Type.Literal('provider'),
  Type.Literal('staff'),
  Type.Literal('compliance'),
]);
export const Role = Type.Union([StaffRole, Type.Literal('patient')]);
export type StaffRole = Static<typeof StaffRole>;
export type Role = Static<typeof Role>;

/** RFC 9457 problem details, with Haven's stable error code. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable snake_case error code' }),
    detail: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'JSON Pointer into the request (e.g. /body/value or /entry/3/resource/code)' }),
          message: Type.String(),
          entry: Type.Optional(Type.Integer({ description: 'FHIR imports: index of the bundle entry' })),
        }),
      ),
    ),
  },
  { $id: 'Problem' },
);
export type Problem = Static<typeof Problem>;

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Cursor, Type.Null()]) });

export const Empty = Type.Object({});
export const Ok = Type.Object({ ok: Type.Literal(true) });
