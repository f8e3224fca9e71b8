package broker

import "testing"

// parseQueueArgs refuses what RabbitMQ refuses, with its reply text.
func TestParseQueueArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args Table
		text string // "" when the arguments are accepted
	}{
		{"none", nil, ""},
		{"ttl", Table{"x-message-ttl": int32(1000)}, ""},
		{"ttl negative", Table{"x-message-ttl": int32(-1)}, "invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {value_negative,-1}"},
		{"ttl not a number", Table{"x-message-ttl": "1000"}, `invalid arg 'x-message-ttl' for queue 'q' in vhost '/': "expected integer, got longstr"`},
		{"expires zero", Table{"x-expires": int32(0)}, "invalid arg 'x-expires' for queue 'q' in vhost '/': {value_zero,0}"},
		{"overflow", Table{"x-overflow": "reject-publish"}, ""},
		{"overflow unknown", Table{"x-overflow": "drop-tail"}, "invalid arg 'x-overflow' for queue 'q' in vhost '/': invalid_overflow"},
		{"priority too large", Table{"x-max-priority": int32(256)}, "invalid arg 'x-max-priority' for queue 'q' in vhost '/': {value_too_large,256,255}"},
		{"single active consumer not bool", Table{"x-single-active-consumer": int32(1)}, `invalid arg 'x-single-active-consumer' for queue 'q' in vhost '/': "expected bool, got signedint"`},
		{"dlrk without dlx", Table{"x-dead-letter-routing-key": "k"}, "invalid arg 'x-dead-letter-routing-key' for queue 'q' in vhost '/': {missing_dead_letter_exchange}"},
		{"type classic", Table{"x-queue-type": "classic"}, ""},
		{"type quorum", Table{"x-queue-type": "quorum"}, ""},
		{"type stream", Table{"x-queue-type": "stream"}, ""},
		{"type bytes", Table{"x-queue-type": []byte("classic")}, ""},
		{"type unknown", Table{"x-queue-type": "bogus"}, `invalid arg 'x-queue-type' for queue 'q' in vhost '/': "unsupported queue type 'bogus'"`},
		{"type not a string", Table{"x-queue-type": int32(5)}, "invalid arg 'x-queue-type' for queue 'q' in vhost '/': {unacceptable_type,signedint}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseQueueArgs("q", "/", tc.args)
			if tc.text == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != CodePreconditionFailed || e.Text != tc.text {
				t.Fatalf("got %v, want 406 %q", err, tc.text)
			}
		})
	}
}
