// compose-check loads Compose files the way `docker compose config` does (compose-go: schema
// validation, interpolation, profiles, references between services, networks, volumes and
// secrets) and prints the resolved project as YAML, or the error and exit status 1.
// It is the project's stand-in for `docker compose config` on machines without Docker.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var files, envFiles, profiles list
	flag.Var(&files, "f", "a Compose file (repeatable)")
	flag.Var(&envFiles, "env-file", "an environment file for interpolation (repeatable)")
	flag.Var(&profiles, "profile", "a profile to enable (repeatable; \"*\" enables all)")
	flag.Parse()
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-check -f compose.yaml [-env-file F] [-profile P]")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(files, cli.WithEnvFiles(envFiles...), cli.WithDotEnv)
	if err == nil && len(profiles) == 0 {
		// As the docker compose command does: COMPOSE_PROFILES (environment or env files).
		if value := options.Environment["COMPOSE_PROFILES"]; value != "" {
			profiles = strings.Split(value, ",")
		}
	}
	if err == nil {
		options, err = cli.NewProjectOptions(files,
			cli.WithEnvFiles(envFiles...),
			cli.WithDotEnv,
			cli.WithProfiles(profiles),
			cli.WithConsistency(true),
			cli.WithResolvedPaths(true),
		)
	}
	if err == nil {
		project, loadErr := options.LoadProject(context.Background())
		if loadErr == nil {
			out, marshalErr := project.MarshalYAML()
			if marshalErr == nil {
				os.Stdout.Write(out)
				return
			}
			loadErr = marshalErr
		}
		err = loadErr
	}
	fmt.Fprintln(os.Stderr, "compose-check:", err)
	os.Exit(1)
}
