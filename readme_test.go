package betterauth_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every Go block of README.md and of the pages in docs/, and every program
// in a library package's doc comment, compiles. The conventions (a "README
// block" is a block of any of those pages):
//
//   - A README block fenced with ```go that starts with "package" is a file
//     of its own, compiled as a package.
//   - A README block whose first line is "// from <path>" must appear
//     verbatim (after that line) in the file at <path> in this repository,
//     which is compiled where it lives (examples/routers: `make routers`).
//   - Any other README block, and every code block of a non-main package's
//     doc comment, is a fragment, compiled in a file that imports the
//     packages of fragmentPrelude and nothing else: a fragment that starts
//     with "func " is top-level declarations; any other is the body of
//     func main. A fragment declares everything it uses besides those
//     imports (no ctx or store from nowhere) and uses what it declares.
//
// Blocks that are not Go (shell, JSON, SQL) are fenced without "go".
//
// The blocks are compiled (go vet) in a temporary module that requires this
// one through a replace directive, as a user's module would before the
// library is published; no network is used.
func TestDocsCompile(t *testing.T) {
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	type block struct{ where, code string }
	var blocks []block

	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for i, b := range fencedGoBlocks(string(readme)) {
		blocks = append(blocks, block{fmt.Sprintf("README.md Go block %d (line %d)", i+1, b.line), b.code})
	}
	require.GreaterOrEqual(t, len(blocks), 5, "README.md has Go blocks")
	pages, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	for _, page := range pages {
		text, err := os.ReadFile(page)
		require.NoError(t, err)
		for i, b := range fencedGoBlocks(string(text)) {
			blocks = append(blocks, block{fmt.Sprintf("%s Go block %d (line %d)", page, i+1, b.line), b.code})
		}
	}
	docs := docCodeBlocks(t, root)
	require.NotEmpty(t, docs, "the package doc of betterauth has a program")
	for _, d := range docs {
		blocks = append(blocks, block{d.where, d.code})
	}

	dir := t.TempDir()
	goMod, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	requires := regexp.MustCompile(`(?s)require \(.*?\)\n`).FindAllString(string(goMod), -1)
	mod := "module docscheck\n\ngo 1.26.0\n\nrequire github.com/go-betterauth/betterauth v0.0.0\n\n" +
		"replace github.com/go-betterauth/betterauth => " + root + "\n\n" + strings.Join(requires, "\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644))
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))

	where := map[string]string{}
	for i, b := range blocks {
		code := strings.TrimSpace(b.code) + "\n"
		if path, ok := strings.CutPrefix(strings.SplitN(code, "\n", 2)[0], "// from "); ok {
			src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(strings.TrimSpace(path))))
			require.NoError(t, err, "%s names %s", b.where, path)
			excerpt := strings.SplitN(code, "\n", 2)[1]
			require.True(t, strings.Contains(string(src), excerpt), "%s is not a verbatim excerpt of %s:\n%s", b.where, path, excerpt)
			continue
		}
		switch {
		case strings.HasPrefix(code, "package "):
		case strings.HasPrefix(code, "func "):
			code = fragmentPrelude + "\nfunc main() {}\n\n" + code
		default:
			code = fragmentPrelude + "\nfunc main() {\n" + code + "}\n"
		}
		pkg := fmt.Sprintf("b%02d", i+1)
		where[pkg] = b.where
		require.NoError(t, os.MkdirAll(filepath.Join(dir, pkg), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, pkg, "main.go"), []byte(code), 0o644))
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := string(out)
		for pkg, w := range where {
			msg = strings.ReplaceAll(msg, pkg+"/main.go", w+", main.go")
		}
		t.Fatalf("go vet of the documentation's Go blocks failed:\n%s", msg)
	}
}

// fragmentPrelude is what a fragment may use besides its own declarations.
const fragmentPrelude = `package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/go-betterauth/betterauth"
	"github.com/go-betterauth/betterauth/argon2id"
	"github.com/go-betterauth/betterauth/migrations"
	"github.com/go-betterauth/betterauth/schema"
	"github.com/go-betterauth/betterauth/store/memstore"
	"github.com/go-betterauth/betterauth/store/pgstore"
	"github.com/go-betterauth/betterauth/store/storetest"
)

var (
	_ = context.Background
	_ = errors.New
	_ = fmt.Sprint
	_ = log.Fatal
	_ = http.NewServeMux
	_ = os.Getenv
	_ = testing.Short
	_ = time.Second
	_ = pgxpool.New
	_ = betterauth.New
	_ = argon2id.New
	_ = migrations.Up
	_ = schema.Drizzle
	_ = memstore.New
	_ = pgstore.New
	_ = storetest.Run
)
`

type fenced struct {
	line int
	code string
}

// fencedGoBlocks returns the ```go blocks of a Markdown text.
func fencedGoBlocks(md string) []fenced {
	var out []fenced
	var cur *fenced
	var buf strings.Builder
	for i, line := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &fenced{line: i + 1}
			buf.Reset()
		case cur != nil && strings.TrimSpace(line) == "```":
			cur.code = buf.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			buf.WriteString(line + "\n")
		}
	}
	return out
}

// docCodeBlocks returns the code blocks of the package doc comments of the
// module's non-main packages (examples/routers, testdata and interop left out).
func docCodeBlocks(t *testing.T, root string) []struct{ where, code string } {
	var out []struct{ where, code string }
	var p comment.Parser
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "interop" || name == "node_modules" || name == "routers") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" || f.Doc == nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		for i, b := range p.Parse(docText(f.Doc)).Content {
			if c, ok := b.(*comment.Code); ok {
				out = append(out, struct{ where, code string }{fmt.Sprintf("%s package doc, block %d", rel, i+1), c.Text})
			}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func docText(g *ast.CommentGroup) string {
	var b bytes.Buffer
	b.WriteString(g.Text())
	return b.String()
}
