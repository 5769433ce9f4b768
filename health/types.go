package health

import (
	"fmt"
	"time"
)

// Source says where a piece of evidence came from.
type Source string

const (
	SourceARI     Source = "ari"
	SourceSIP     Source = "sip"
	SourceManual  Source = "manual"
	SourceMonitor Source = "monitor"
	// SourceComputer: deskwatch's own probes of the operators' computers.
	SourceComputer Source = "computer"
)

// Kind is what an observation says about an endpoint (or, for Blind and
// Sighted, about the whole source).
type Kind string

const (
	// Contact-level evidence (ARI ContactStatusChange).
	KindContactAvailable   Kind = "contact_available"   // NonQualified or Reachable: registered
	KindContactUnreachable Kind = "contact_unreachable" // qualify failed; contact still bound
	KindContactRemoved     Kind = "contact_removed"     // un-registered or expired
	// KindAORContact: the endpoint's AOR lists this contact (REST read after
	// each snapshot). It says where the phone is, not whether it answers, so
	// it decides nothing: the snapshot and the contact events do.
	KindAORContact Kind = "aor_contact"

	// Endpoint-level evidence: a snapshot (GET /ari/endpoints) or EndpointStateChange.
	KindOnline  Kind = "online"
	KindOffline Kind = "offline"
	// KindMissing: a configured endpoint the PBX does not know at all.
	KindMissing Kind = "missing"

	// SIP probe evidence (sipprobe), emitted after its hysteresis (misses
	// before down, answers before up): state changes only.
	KindProbeOK   Kind = "probe_ok"   // the contact answered OPTIONS (any final response)
	KindProbeLost Kind = "probe_lost" // no answer for the configured number of probes

	// Source-level evidence: Endpoint is empty.
	KindBlind   Kind = "blind"    // the source lost sight (socket down, daemon not running)
	KindSighted Kind = "sighted"  // the source sees again; a snapshot follows or preceded it
	KindPBXDown Kind = "pbx_down" // the PBX stopped answering our OPTIONS
	KindPBXUp   Kind = "pbx_up"   // the PBX answers again

	// Computer evidence (hostprobe), after its hysteresis: state changes of
	// the operator's computer of Observation.Workstation.
	KindComputerUp   Kind = "computer_up"   // it answers ping or TCP connect
	KindComputerDown Kind = "computer_down" // silent for the configured misses
)

// Observation is one timestamped piece of evidence. At is the source's own
// timestamp where it has one (ARI events carry it), else the time of receipt.
type Observation struct {
	Endpoint string // "PJSIP/op122-01"; empty for source-level and computer kinds
	// Workstation is the desk of computer evidence (empty otherwise).
	Workstation string
	Source      Source
	Kind        Kind
	At          time.Time
	// Received is when deskwatch read the evidence, by its own clock, where
	// At is the source's (ARI events); zero when At is already ours.
	Received time.Time
	Contact  string        // contact URI where the evidence names one
	Detail   string        // the raw status, e.g. "ContactStatusChange Removed"
	Code     int           // SIP response code of a probe (0: none)
	RTT      time.Duration // probe round trip (0: none)
	// Snapshot marks endpoint-level observations taken from a REST snapshot.
	Snapshot bool
	// Raced marks an event that reached us while the snapshot was being
	// taken: it may describe a state the snapshot already shows, and is
	// stale if its timestamp is older than the snapshot's. Events received
	// after the snapshot are never stale, whatever the PBX's clock says.
	Raced bool
}

// Dated returns o dated by its source's clock when that clock is within
// maxSkew of ours (At within Received ± maxSkew), else dated by its receipt;
// skewed reports the second case. A PBX clock years ahead would otherwise
// date outages the store refuses, and one merely ahead would pin the desk's
// time (transitions never run backwards) so that its later outages shrink.
func (o Observation) Dated(maxSkew time.Duration) (dated Observation, skewed bool) {
	if o.Received.IsZero() {
		return o, false
	}
	if d := o.At.Sub(o.Received); d >= -maxSkew && d <= maxSkew {
		return o, false
	}
	o.At = o.Received
	return o, true
}

// BoundContact returns the contact URI Asterisk says is bound to the
// observation's endpoint (registered, answering qualify or not): where our
// SIP probes should look. A removed contact is no longer bound, and our own
// probes only repeat the contact they were given.
func (o Observation) BoundContact() (string, bool) {
	if o.Source != SourceARI || o.Endpoint == "" || o.Contact == "" {
		return "", false
	}
	switch o.Kind {
	case KindContactAvailable, KindContactUnreachable, KindAORContact:
		return o.Contact, true
	}
	return "", false
}

// State of a workstation.
type State string

const (
	StateUp      State = "up"
	StateDown    State = "down"
	StateUnknown State = "unknown"
)

// Cause of a failure span.
type Cause string

const (
	CauseUnregistered Cause = "unregistered" // no contact bound (Removed / expired)
	CauseUnreachable  Cause = "unreachable"  // contact bound but not answering qualify/probes
	CauseOffline      Cause = "offline"      // the PBX says offline, contact detail unknown
	CauseMissing      Cause = "missing"      // endpoint not configured on the PBX
	CausePBX          Cause = "pbx"          // the PBX itself is down
	CauseManual       Cause = "manual"       // entered by a supervisor
	CauseComputer     Cause = "computer"     // the operator's computer does not answer
)

// Workstation is an operator desk (АРМ) as configured.
type Workstation struct {
	ID        string
	Name      string
	Hotlines  []string
	Endpoints []string
	// Service window; zero From means "always", zero Until means "still in service".
	InServiceFrom  time.Time
	InServiceUntil time.Time
	// Computer is the host of the operator's computer when deskwatch probes
	// it ("": not watched): the desk is then up only while it answers too.
	Computer string `json:",omitempty"`
	// Schedule names the desk's service schedule ("": around the clock);
	// left out of JSON when empty so report hashes of desks without one stay.
	Schedule string `json:",omitempty"`
}

// Transition is a change of a workstation's known state, as decided by the
// Tracker. Opening (To==Down) and closing (From==Down) of failure spans
// follow from it.
type Transition struct {
	Workstation string
	At          time.Time
	From, To    State
	Cause       Cause  // for To==Down
	Source      Source // the evidence that decided it
	Detail      string
}

func (t Transition) String() string {
	return fmt.Sprintf("%s %s %s->%s %s", t.At.UTC().Format(time.RFC3339Nano), t.Workstation, t.From, t.To, t.Cause)
}

// Interval is [Start, End); a zero End means open (still running).
type Interval struct {
	Start, End time.Time
}

// Open reports whether the interval has not ended.
func (iv Interval) Open() bool { return iv.End.IsZero() }

// Exclusion marks a failure as not the institution's fault (the standard's
// footnote *): it leaves the formula, and stays visible to the auditor.
type Exclusion struct {
	Category string    `json:"category"` // power | carrier | force_majeure | other
	Reason   string    `json:"reason"`
	By       string    `json:"by"`              // who, as they gave it
	Actor    string    `json:"actor,omitempty"` // the authenticated caller (API token name, "cli:user")
	At       time.Time `json:"at"`
}

// Exclusion categories.
var ExclusionCategories = []string{"power", "carrier", "force_majeure", "other"}

// Span is one failure of one workstation.
type Span struct {
	ID          string
	Workstation string
	Start       time.Time
	End         time.Time // zero while open
	Cause       Cause
	Sources     []Source
	Manual      bool
	Note        string
	Exclusion   *Exclusion
}

// Open reports whether the span has not ended.
func (s Span) Open() bool { return s.End.IsZero() }

// Interval returns the span's time range.
func (s Span) Interval() Interval { return Interval{s.Start, s.End} }
