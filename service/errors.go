package service

import (
	"errors"

	"deskwatch/journal"
	"deskwatch/store"
)

// The kinds of failure, for errors.Is. Every error a Service method returns
// is an *Error of one of them.
var (
	ErrInvalid     = errors.New("invalid input")
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("unavailable")
)

// Error is a failed use case as people are told it: Russian first, English
// for supervisors who ask, and a stable code for programs. Err is the cause
// when there is one worth logging; it is never shown to API clients.
type Error struct {
	Kind   error  // ErrInvalid, ErrNotFound, ErrConflict or ErrUnavailable
	Code   string // e.g. "bad_category", "not_found"
	RU, EN string
	Err    error
}

// Error is the English message and the cause, for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.EN + ": " + e.Err.Error()
	}
	return e.EN
}

// Is matches the error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap gives the cause, so the store's and the journal's sentinels still match.
func (e *Error) Unwrap() error { return e.Err }

// Invalid is input a use case refuses; callers use it for their own
// parsing too, so that every refusal reads alike.
func Invalid(code, ru, en string) *Error {
	return &Error{Kind: ErrInvalid, Code: code, RU: ru, EN: en}
}

func notFound(code, ru, en string) *Error {
	return &Error{Kind: ErrNotFound, Code: code, RU: ru, EN: en}
}

func conflict(code, ru, en string) *Error {
	return &Error{Kind: ErrConflict, Code: code, RU: ru, EN: en}
}

// classify types an error of the store or the journal: their validation
// errors are invalid input (nothing was written), their sentinels not found
// or conflict; anything else means Redis did not answer as it should.
func classify(err error) error {
	var (
		typed *Error
		sv    *store.ValidationError
		jv    *journal.ValidationError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typed):
		return err
	case errors.As(err, &sv):
		return invalidInput(sv)
	case errors.As(err, &jv):
		return invalidInput(jv)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, journal.ErrNotFound):
		return &Error{Kind: ErrNotFound, Code: "not_found", RU: "не найдено", EN: "not found", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Kind: ErrConflict, Code: "conflict", RU: "такая запись уже есть с другими данными", EN: "such a record already exists with other data", Err: err}
	case errors.Is(err, journal.ErrConflict):
		return &Error{Kind: ErrUnavailable, Code: "journal_busy", RU: "журнал занят другими записями, повторите позже",
			EN: "the journal is busy with other appends, try again later", Err: err}
	case errors.Is(err, journal.ErrTampered):
		return &Error{Kind: ErrUnavailable, Code: "journal_tampered", RU: "запись журнала не совпадает со своим хэшем: выполните deskwatch journal verify",
			EN: "a journal record does not match its hash: run deskwatch journal verify", Err: err}
	}
	return &Error{Kind: ErrUnavailable, Code: "store_unavailable", RU: "хранилище (Redis) недоступно, повторите позже",
		EN: "the store (Redis) is unavailable, try again later", Err: err}
}

// invalidInput shows a validation error's own words: they name the field.
func invalidInput(err error) *Error {
	return Invalid("invalid", "неверные данные: "+err.Error(), "invalid input: "+err.Error())
}
