// Package auth holds users, their password hashes and tags, and the SASL
// mechanisms that check them. Passwords are stored only as salted hashes in
// RabbitMQ's definitions format (base64 of a 4-byte salt followed by
// hash(salt ‖ password)), so definitions exported from RabbitMQ import
// unchanged.
package auth
