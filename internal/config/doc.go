// Package config is Warren's typed configuration and how it is loaded:
// defaults, then a config file, then WARREN_* environment variables, then
// command-line flags, each overriding the one before. main builds one
// Config and passes it down; nothing reads configuration globally.
package config
