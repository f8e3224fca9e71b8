// Package route decides which destinations a message reaches through one
// exchange: the matching rules of RabbitMQ's direct, fanout, topic and
// headers exchange types, with no knowledge of protocols, queues or locks.
//
// Each matcher holds one exchange's bindings. The destination type D is
// whatever the broker binds to (pointers to its queues and exchanges); it
// only has to be comparable.
//
// # Concurrency
//
// The types do no locking of their own: the broker already holds a lock
// around its binding tables, and a second one here would only cost time on
// every message. Add and Remove must be called with that lock held for
// writing. Match never writes to the matcher (Topic's per-call scratch space
// comes from a sync.Pool), so any number of Match calls may run at once under
// the read lock. The callback passed to Match must not call Add or Remove on
// the same matcher; it may call Match again (for exchange-to-exchange
// routing), since every call uses its own scratch space.
//
// # Cost
//
// Match is on the per-message hot path, so it reports destinations through a
// callback rather than a slice, and none of the four matchers allocates while
// matching (TestMatchDoesNotAllocate checks it). Add and Remove are not hot
// and allocate freely.
//
// # Duplicates
//
// Direct, Fanout and Headers call fn at most once per destination per
// Match, even when several bindings to that destination match, because it
// costs them nothing: Direct can match only one key; Fanout keeps each
// destination once with a count of its binding keys; Headers groups
// bindings by destination and stops at the first one that matches. Topic
// calls fn once per matching binding, so a destination bound with two
// patterns that both match is reported twice: removing that duplicate would
// need a set per Match, and the caller keeps one anyway for destinations
// reached along several exchange-to-exchange paths.
//
// Binding identity follows the method signatures: (key, destination) for
// Direct, Fanout and Topic, and (arguments, destination) for Headers. Adding
// an existing binding again is a no-op that returns false, and a single
// Remove then deletes it: these are sets, not reference counts. RabbitMQ's
// bindings are (key, destination, arguments), so a caller keeping two
// bindings that collapse to one identity here must call Remove only when the
// last of them goes.
//
// # Topic
//
// Keys and patterns are split on '.', and every piece is a word, empty or
// not: "a..b" is "a", "", "b" and ".a" is "", "a". The one exception, as in
// RabbitMQ (rabbit_db_topic_exchange:split_topic_key_binary), is the empty
// string, which is zero words rather than one empty word. So the key "" is
// matched by the patterns "" and "#" (and "#.#"), but not by "*", while "."
// (two empty words) is matched by "*.*". In a pattern, "*" matches exactly
// one word and "#" zero or more; only a whole word is special, so "a#" and
// "##" are ordinary words. TopicMatch is a direct, recursive statement of
// these rules that tests check the trie against.
//
// # Headers
//
// Headers follows RabbitMQ 3.10, the reference broker this project checks
// against (rabbit_exchange_type_headers): a binding argument matches when
// the header is present and its value equals (Erlang ==) the argument's
// decoded value; HeadersMatch documents how that maps onto Go values.
package route
