package pgtest

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed layouts/*.sql
var layoutFS embed.FS

// Layout returns the SQL text of one of the embedded schema layouts (files in internal/pgtest/layouts,
// embedded with go:embed), by name without extension; Layouts lists the names, sorted.
func Layout(name string) (string, error) {
	if !slices.Contains(Layouts(), name) {
		return "", fmt.Errorf("pgtest: unknown layout %q (have %s): %w",
			name, strings.Join(Layouts(), ", "), fs.ErrNotExist)
	}
	b, err := layoutFS.ReadFile(path.Join("layouts", name+".sql"))
	if err != nil {
		return "", fmt.Errorf("pgtest: layout %q: %w", name, err)
	}
	return string(b), nil
}

// Layouts lists the names of the embedded schema layouts, sorted.
func Layouts() []string {
	entries, err := layoutFS.ReadDir("layouts")
	if err != nil {
		panic(fmt.Sprintf("pgtest: embedded layouts: %v", err)) // cannot happen: the directory is embedded
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".sql"); ok && !e.IsDir() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
