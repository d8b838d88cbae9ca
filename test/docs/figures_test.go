package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/test/repo"
)

// TestFiguresAreTheGeneratedFiles: every figures block of README.md and
// docs/*.md holds exactly the docs/figures file it names, as `make
// figures` wrote it (a number edited by hand in the block fails here), and
// every file `make figures` wrote is shown somewhere.
func TestFiguresAreTheGeneratedFiles(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	md, err := Markdown(root)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := Blocks(root, md)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 {
		t.Fatal("no figures blocks in the docs")
	}
	shown := map[string]bool{}
	for _, b := range blocks {
		shown[b.Name] = true
		content, err := os.ReadFile(filepath.Join(root, FiguresDir, b.Name))
		if err != nil {
			t.Errorf("%s: block figures/%s: %v (make figures writes it)", b.File, b.Name, err)
			continue
		}
		if b.Body != Render(string(content)) {
			t.Errorf("%s: block figures/%s differs from %s/%s: the docs show what make figures wrote, never hand edits (run make figures-sync)", b.File, b.Name, FiguresDir, b.Name)
		}
		if !strings.HasPrefix(string(content), "measured by: make ") {
			t.Errorf("%s/%s has no header naming the make target that measured it", FiguresDir, b.Name)
		}
	}
	files, err := filepath.Glob(filepath.Join(root, FiguresDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !shown[filepath.Base(f)] {
			t.Errorf("%s/%s is shown in no block of README.md or docs/*.md", FiguresDir, filepath.Base(f))
		}
	}
}

// Sync puts a figures file into its block, and a hand edit in a block is
// what the check above finds.
func TestSyncRewritesBlocks(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, FiguresDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, FiguresDir, "x.txt"), []byte("measured by: make x\n\nBenchmarkX 1.5 ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := "# D\n\n<!-- figures/x.txt: written by make x -->\n```text\nBenchmarkX 0.1 ms\n```\n<!-- /figures/x.txt -->\n"
	if err := os.WriteFile(filepath.Join(root, "d.md"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	blocks, err := Blocks(root, []string{"d.md"})
	if err != nil || len(blocks) != 1 || blocks[0].Body == Render("measured by: make x\n\nBenchmarkX 1.5 ms\n") {
		t.Fatalf("blocks %+v, %v: want one that differs from its file", blocks, err)
	}
	changed, err := Sync(root, []string{"d.md"})
	if err != nil || len(changed) != 1 {
		t.Fatalf("Sync changed %v, %v; want d.md", changed, err)
	}
	b, _ := os.ReadFile(filepath.Join(root, "d.md"))
	want := "# D\n\n<!-- figures/x.txt: written by make x -->\n```text\nmeasured by: make x\n\nBenchmarkX 1.5 ms\n```\n<!-- /figures/x.txt -->\n"
	if string(b) != want {
		t.Errorf("after Sync:\n%s\nwant:\n%s", b, want)
	}
}
