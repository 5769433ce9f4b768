// Package alerts tells supervisors, without their looking, when a hotline
// runs short of operators, a desk is down, the monitor is blind, or a
// quarterly report is due.
//
// Three parts:
//
//   - Evaluator: pure (no clock, no I/O). Evaluate(now, Input) looks at the
//     monitor's view and returns firing and resolved Events.
//   - Notifier: delivers each Event to its rule's channels (webhook JSON
//     POST, e-mail over SMTP via go-mail, Telegram bot message), one
//     goroutine and one bounded queue per channel, with retries; it never
//     blocks the evaluator.
//   - Runner: owns a ticker (default 1 s), calls the Input provider, feeds
//     the evaluator and the notifier, stops on ctx.
//
// # Rules
//
// One rule applies to one or more subjects; each (rule, subject) pair is an
// instance with its own state and a stable id "rule/subject".
//
//	kind           subject (id)            condition                                  Since (data)
//	-------------  ----------------------  -----------------------------------------  -------------------------------
//	hotline_short  hotline/<number>        fewer than min_up of the hotline's desks   when the count last fell below
//	                                       are up (unknown is NOT up)                 min_up, from the desks' Since
//	desk_down      desk/<id> (per desk;    the desk is down; unknown = no evidence:   the desk's Since
//	               hotline: optional       the instance stands still (neither fires
//	               filter)                 nor resolves)
//	monitor_blind  monitor                 Input.Blind                                Input.BlindSince
//	report_due     report/<quarter>        not Ready and now >= Due - days (local     Due - days
//	                                       calendar days); stays firing when overdue
//
// # States
//
// Every instance runs the same machine; `for` is both the delay before
// firing and the hold-down before resolving:
//
//	state      condition true                        condition false
//	---------  ------------------------------------  -------------------------------------
//	ok         → pending (start = data's Since),     stay
//	           then as pending
//	pending    held ≥ for since start → firing,      → ok, no event (a flap shorter than
//	           emit ONE "firing"                     `for`)
//	firing     stay                                  → resolving (end = data's time)
//	resolving  → firing, no event (a flap shorter    false ≥ for since end → ok,
//	           than the hold-down)                   emit ONE "resolved"
//
// So each real start of a condition gives exactly one firing and each real
// end exactly one resolved; flapping faster than `for` gives nothing, before
// or after firing. "Held ≥ for" is judged at evaluation instants: a
// condition seen true at exactly start+for fires; one already over at that
// instant does not. for: 0 fires and resolves at the first evaluation that
// sees the change. Changes between two evaluations are not seen, so keep
// `for` well above the runner's interval.
//
// Start and end times come from the data (a desk's Since, BlindSince, the due
// date), bounded by the evaluator's own previous observation of the opposite
// value and by now; a zero time means "from this evaluation". Hence:
//   - the summary's "since 14:03" is when the desk went down, not when we
//     looked;
//   - after a restart (the evaluator keeps no state) a condition that has
//     already held for `for` fires at the first evaluation. The receiver can
//     recognise a repeat: the id and Since are the same;
//   - desks of unknown state with no Since (daemon start, before the first
//     snapshot) are counted from the first evaluation, not from the epoch.
//
// Desks off shift (outside their service schedule) or in planned
// maintenance are quiet (Desk.OffShift, Desk.Planned): desk_down does not
// hold for them (a firing one resolves, saying why), and hotline_short
// leaves them out; while some are out, min_up is capped at the desks left,
// and a hotline with no desk left is closed and raises nothing. A desk
// still down when its shift begins or its window ends is an episode from
// then (the evaluator saw it quiet until then): it fires `for` later.
//
// A subject that leaves the Input (a desk taken out of service, a report no
// longer listed) counts as "condition false" from then on and resolves
// through the hold-down, with a wording that says so ("no longer monitored",
// "reminder withdrawn") rather than claiming a recovery.
//
// # Unknown desks and a blind monitor
//
// While the monitor is blind every desk shows unknown (health.DeskView). We
// decided:
//   - hotline_short counts unknown as not up. A supervisor must staff the
//     line with desks known to take calls; a desk nobody can see cannot be
//     counted on, and keeping quiet while blind would be exactly the silent
//     failure alerts exist to prevent. The event says how many desks are
//     unknown ("состояние 3 АРМ неизвестно" / "3 desks in unknown state")
//     and lists them with their state, so it reads differently from a real
//     shortage, and monitor_blind fires alongside with the cause.
//   - desk_down treats unknown as no evidence: a desk_down already firing is
//     not resolved because we went blind (nobody saw the desk come back),
//     and none fires for desks that merely became unknown. When sight
//     returns the monitor's decision (and its Since) carries on: a desk down
//     before and after keeps its one firing; a desk that changed while blind
//     fires or resolves from the snapshot's time.
//
// # Events
//
// An Event carries: id (rule/subject; shared by the firing and the resolved
// of one episode, and so is Since), kind (firing | resolved), rule,
// rule_kind, hotline, desks involved (hotline_short: the desks not up, with
// state, cause and since; desk_down: the desk), counts (hotline_short),
// quarter and due (report_due), since, until (resolved), at (evaluation
// instant), and one-line summaries in Russian and English, times in the
// daemon's zone, e.g.
//
//	Линия 122: доступно 3 АРМ из 10 (минимум 5) с 14:03
//	Hotline 122: 3 of 10 desks up (minimum 5) since 14:03
//
// # Delivery
//
//	channel  request                                 retried                         not retried
//	-------  --------------------------------------  ------------------------------  --------------------------------
//	webhook  POST the JSON Event (or a body          network errors, timeouts, 408,  other 4xx, 3xx (redirects are
//	         template's output, ParseBodyTemplate),  429 (Retry-After honoured up    not followed)
//	         timeout per attempt; X-Deskwatch-       to the backoff cap), 5xx
//	         Event, X-Deskwatch-Delivery (same for
//	         every attempt), X-Deskwatch-Timestamp
//	         (this attempt's Unix seconds),
//	         X-Deskwatch-Signature: sha256=<hex
//	         HMAC-SHA256(key, "ts.delivery.body")>
//	         if secret_env
//	email    TLS at once (tls: implicit, port 465)   network errors, timeouts,       5xx replies (e.g. 535 bad
//	         or EHLO + STARTTLS (tls: starttls, the  4xx replies (e.g. 451)          password), no STARTTLS or AUTH
//	         default elsewhere), AUTH PLAIN or LOGIN                                 mechanism offered, certificate
//	         (only over TLS, or to localhost), MAIL,                                 errors, a TLS handshake with a
//	         RCPT, DATA: UTF-8 text, base64 body,                                    plain server
//	         RFC 2047 subject; Russian first, then
//	         English
//	telegram POST {base_url}/bot<token>/           network errors, timeouts, 429   400 (chat not found, bad text),
//	         sendMessage: chat_id, HTML text (bold   (retry_after honoured up to     401, 403 (bot blocked or not in
//	         status, summary, details), Russian or   the backoff cap), 5xx           the chat), other 4xx: logged
//	         English (lang), cut to one message                                      with Telegram's description
//
// Retries wait BackoffMin (1 s) doubling up to BackoffMax (30 s); retries is
// the number after the first attempt (default 3). Every attempt of one event
// carries the same delivery id (webhook header, e-mail Message-ID), so a
// receiver can drop the duplicate a lost answer may cause (and, with the
// signed timestamp, refuse a replayed request: README, "Webhook
// signatures"); a resolution's e-mail refers to its firing's
// (In-Reply-To) so mail clients thread them.
// Each channel has its own queue (default 64 events): a slow or failing
// receiver delays only itself; when its queue is full the event is dropped
// for that channel, counted and logged. Failures are logged and counted
// (Notifier.Stats); secrets (passwords, HMAC keys, header values, bot
// tokens, which sit in the Bot API's URL) never appear in logs or errors.
//
// # Configuration
//
// Embedded in the daemon's file as alerts:
//
//	alerts:
//	  rules:
//	    - name: short-122          # letters, digits, . _ -; part of the id
//	      kind: hotline_short      # hotline_short | desk_down | monitor_blind | report_due
//	      hotline: "122"           # hotline_short (required); desk_down (optional filter)
//	      min_up: 5                # hotline_short: fire when fewer desks are up
//	      for: 2m                  # hold before firing and before resolving (0: at once)
//	      channels: [duty-hook, duty-mail]
//	    - {name: desk-down, kind: desk_down, for: 5m, channels: [duty-hook]}
//	    - {name: blind, kind: monitor_blind, for: 1m, channels: [duty-hook, duty-mail]}
//	    - {name: report, kind: report_due, days: 5, channels: [duty-mail]}
//	  channels:
//	    webhook:
//	      - name: duty-hook
//	        url: https://hooks.example.ru/deskwatch
//	        timeout: 5s            # per attempt (default 5s)
//	        retries: 3             # after the first attempt (default 3)
//	        headers: {Authorization: "Bearer ..."}
//	        secret_env: DESKWATCH_HOOK_SECRET   # optional HMAC key
//	        template: '{"text": {{json .SummaryRU}}}'   # optional body (ParseBodyTemplate)
//	        content_type: "application/json; charset=utf-8"   # of the templated body (the default)
//	    email:
//	      - name: duty-mail
//	        smtp: mail.example.ru:587
//	        tls: starttls          # starttls | implicit | none; default implicit on 465, else starttls
//	        auth: plain            # plain | login | none; default plain with username
//	        username: deskwatch    # empty: no AUTH; credentials only over TLS (or to localhost)
//	        ca_file: /etc/deskwatch/smtp-ca.pem   # optional private CA (PEM), besides the system roots
//	        password_env: DESKWATCH_SMTP_PASSWORD   # or password_file
//	        from: "Deskwatch <deskwatch@example.ru>"
//	        to: [duty@example.ru]
//	        timeout: 30s           # whole session (default 30s)
//	        retries: 3             # default 3
//	    telegram:
//	      - name: duty-tg
//	        chat_id: "-1001234567890"             # or "@channelname"
//	        token_env: DESKWATCH_TELEGRAM_TOKEN   # or token_file
//	        lang: ru               # ru (default) | en
//	        base_url: https://api.telegram.org    # default
//	        timeout: 10s           # per attempt (default 10s)
//	        retries: 3             # default 3
//
// The config package reads and checks this section with the rest of the
// file (every problem with its path and line, alerts.rules[0].min_up (line
// 12)), reads the secrets, and hands this package plain values: Rules for
// NewEvaluator, Channels for NewNotifier.
package alerts
