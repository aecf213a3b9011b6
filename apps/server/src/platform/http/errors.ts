/** Haven's error catalogue: one stable code per failure a client can act on. */
export const ERRORS = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_json: { status: 400, title: 'The request body is not valid JSON' },
  password_rejected: { status: 400, title: 'The password does not meet the password rules' },
  invalid_link: { status: 400, title: 'The link must be an http or https URL' },
  unauthenticated: { status: 401, title: 'Sign-in required' },
  invalid_signature: { status: 401, title: 'The webhook signature is missing or wrong' },
  invalid_credentials: { status: 401, title: 'Organization, e-mail or password is incorrect' },
  invalid_mfa_code: { status: 401, title: 'The verification code is incorrect' },
  session_expired: { status: 401, title: 'The session has ended; sign in again' },
  mfa_required: { status: 403, title: 'Complete the second sign-in step first' },
  csrf_failed: { status: 403, title: 'Missing or invalid CSRF token' },
  forbidden: { status: 403, title: 'Not allowed' },
  messaging_not_enabled: { status: 403, title: 'Messaging is not available to you yet' },
  origin_not_allowed: { status: 403, title: 'This origin may not open the event socket' },
  not_found: { status: 404, title: 'Not found' },
  cursor_expired: { status: 410, title: 'The cursor is older than the replayable events; resynchronize through the API' },
  invalid_frame: { status: 400, title: 'The frame is not valid' },
  idempotency_conflict: { status: 409, title: 'A different message was already sent with this id' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  attachment_limit_reached: { status: 409, title: 'The message already has the most attachments allowed' },
  attachment_not_ready: { status: 409, title: 'The attachment is waiting for its malware scan' },
  attachment_rejected: { status: 409, title: 'The attachment was rejected by the malware scan' },
  patient_archived: { status: 409, title: 'The patient is archived: no new threads or messages' },
  policy_changed: { status: 409, title: 'The messaging policy changed since you read it; read it again' },
  message_retracted: { status: 409, title: 'The message was retracted' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  too_many_entries: { status: 413, title: 'The bundle has more entries than one import accepts' },
  unsupported_media_type: { status: 415, title: 'Send application/json' },
  attachment_type_not_allowed: { status: 415, title: 'This type of file is not accepted' },
  attachment_type_mismatch: { status: 415, title: 'The file content does not match its declared type' },
  attachment_unprocessable: { status: 415, title: 'The file could not be processed safely' },
  invalid_bundle: { status: 422, title: 'The FHIR bundle is not valid; nothing was imported' },
  invalid_observation: { status: 422, title: 'The observation is not valid' },
  no_observations: { status: 422, title: 'There are no observations to chart in this period' },
  invalid_interval: { status: 422, title: 'An interval ends before it starts, or overlaps another' },
  // 0011: chart notes and follow-ups
  excerpt_not_in_message: { status: 422, title: "The excerpt is not part of the message's current text" },
  not_a_patient_thread: { status: 422, title: 'This applies to patient threads only' },
  unknown_variable: { status: 422, title: 'The text uses a variable that does not exist' },
  no_recipients: { status: 422, title: 'No patient you may message matches this selection' },
  unknown_template_variable: { status: 422, title: 'The template uses a variable Haven does not know' },
  invalid_emoji: { status: 422, title: 'A reaction is one emoji' },
  invalid_mention: { status: 422, title: 'Someone mentioned cannot be mentioned in this message' },
  invalid_lexicon: { status: 422, title: 'The lexicon overrides are not valid; nothing was saved' },
  too_many_requests: { status: 429, title: 'Too many attempts; try again later' },
  integrity_error: { status: 500, title: 'Stored data failed its integrity check' },
  internal_error: { status: 500, title: 'Something went wrong on our side' },
  not_ready: { status: 503, title: 'Not ready' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** One problem of a request: where (a JSON Pointer), what, and for FHIR imports which bundle entry. */
export interface ProblemItem {
  path: string;
  message: string;
  entry?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: ProblemItem[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    extra?: { errors?: ProblemItem[]; headers?: Record<string, string> },
  ) {
    super(detail ?? ERRORS[code].title);
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = detail;
    this.errors = extra?.errors;
    this.headers = extra?.headers;
  }
}

/** The same answer for "does not exist" and "you may not see it". */
export const notFound = (what = 'resource'): AppError => new AppError('not_found', `No such ${what}`);
