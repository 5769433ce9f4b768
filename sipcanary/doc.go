// Package sipcanary keeps an account of deskwatch's own registered on the
// PBX, as a phone would, to tell a broken registrar at once.
//
// Digest auth (401 or 407, qop=auth, the nonce reused with nc counting up
// until the registrar calls it stale), a refresh at half the expiry the
// registrar grants (the 200's Contact expires for our contact, else its
// Expires header), 423 Min-Expires honoured. A refused (403, or a second
// challenge to fresh credentials) or unanswered REGISTER or refresh means
// the registrar is broken: Status clears Registered at once, and the canary
// retries with a backoff of 1 s doubling to 30 s. It registers from its own
// UDP socket, answers the PBX's OPTIONS on it, and un-registers (Expires: 0,
// within 2 s) when it stops. A response counts only if sipua.Match says it
// answers the REGISTER sent (sipgo's client transactions match on Via
// branch and CSeq method alone). The password appears in no log and not in
// Status. sipcanarytest.Registrar plays the registrar in tests.
package sipcanary
