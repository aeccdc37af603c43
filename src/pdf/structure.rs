//! The tags of a tagged PDF: every line of text is marked as part of its
//! block (a heading, a paragraph, a list item), and the structure tree lists
//! the blocks in reading order, so a screen reader announces headings and
//! reads the document in order. Footers, rules, pictures and QR codes are
//! marked as artifacts, which readers skip.

use pdf_writer::types::StructRole;
use pdf_writer::{Content, Finish, Name, Pdf, Ref};

/// What a block of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    H1,
    H2,
    H3,
    P,
    /// A list item (its marker and words).
    LI,
}

impl Role {
    fn tag(self) -> Name<'static> {
        Name(match self {
            Role::H1 => b"H1",
            Role::H2 => b"H2",
            Role::H3 => b"H3",
            Role::P => b"P",
            Role::LI => b"LI",
        })
    }

    fn struct_role(self) -> StructRole {
        match self {
            Role::H1 => StructRole::H1,
            Role::H2 => StructRole::H2,
            Role::H3 => StructRole::H3,
            Role::P => StructRole::P,
            Role::LI => StructRole::LI,
        }
    }
}

/// Where the tree's objects go, after everything else in the file (any
/// list elements after the per-page lists).
pub struct Refs {
    pub root: Ref,
    document: Ref,
    first_block: i32,
    first_parents: i32,
}

impl Refs {
    pub fn after(next: i32, blocks: usize) -> Self {
        let first_block = next + 2;
        Self {
            root: Ref::new(next),
            document: Ref::new(next + 1),
            first_block,
            first_parents: first_block + blocks as i32,
        }
    }

    fn block(&self, b: usize) -> Ref {
        Ref::new(self.first_block + b as i32)
    }

    fn parents(&self, page: usize) -> Ref {
        Ref::new(self.first_parents + page as i32)
    }
}

/// The marked-content sequences written so far: for each block, its pieces
/// (page, marked-content id) in reading order; for each page, whose each id is.
pub struct Marked {
    pieces: Vec<Vec<(usize, i32)>>,
    owners: Vec<Vec<usize>>,
    /// The sequence open in the current page's content: an artifact or a block.
    open: Option<Option<usize>>,
}

impl Marked {
    pub fn new(blocks: usize, pages: usize) -> Self {
        Self {
            pieces: vec![Vec::new(); blocks],
            owners: vec![Vec::new(); pages],
            open: None,
        }
    }

    /// Starts the right sequence for what is drawn next: each line of a block
    /// its own marked content, page furniture one artifact run.
    pub fn open(&mut self, content: &mut Content, page: usize, block: Option<(usize, Role)>) {
        let wanted = block.map(|(b, _)| b);
        if wanted.is_none() && self.open == Some(None) {
            return;
        }
        self.close(content);
        match block {
            None => {
                content.begin_marked_content(Name(b"Artifact"));
            }
            Some((b, role)) => {
                let mcid = self.owners[page].len() as i32;
                self.owners[page].push(b);
                self.pieces[b].push((page, mcid));
                content
                    .begin_marked_content_with_properties(role.tag())
                    .properties()
                    .identify(mcid);
            }
        }
        self.open = Some(wanted);
    }

    /// Ends the open sequence, at a page's end.
    pub fn close(&mut self, content: &mut Content) {
        if self.open.take().is_some() {
            content.end_marked_content();
        }
    }

    /// The structure tree: the root, the Document element, one element per
    /// block, and each page's list of which element owns which id.
    pub fn write(&self, pdf: &mut Pdf, refs: &Refs, roles: &[Role], pages: &[Ref]) {
        let mut root = pdf
            .indirect(refs.root)
            .start::<pdf_writer::writers::StructTreeRoot>();
        root.child(refs.document);
        let mut tree = root.parent_tree();
        let mut nums = tree.nums();
        for page in 0..pages.len() {
            nums.insert(page as i32, refs.parents(page));
        }
        nums.finish();
        tree.finish();
        root.parent_tree_next_key(pages.len() as i32);
        root.finish();

        // Consecutive list items sit in one list (L), as a reader expects.
        let shown: Vec<usize> = (0..roles.len())
            .filter(|b| !self.pieces[*b].is_empty())
            .collect();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for &b in &shown {
            match groups.last_mut() {
                Some(g) if roles[b] == Role::LI && roles[g[0]] == Role::LI => g.push(b),
                _ => groups.push(vec![b]),
            }
        }
        let mut next_list = refs.first_parents + pages.len() as i32;
        let mut parent_of = vec![refs.document; roles.len()];
        let mut top = Vec::new();
        for g in &groups {
            if roles[g[0]] != Role::LI {
                top.push(refs.block(g[0]));
                continue;
            }
            let list = Ref::new(next_list);
            next_list += 1;
            top.push(list);
            for &b in g {
                parent_of[b] = list;
            }
            let mut l = pdf.struct_element(list);
            l.kind(StructRole::L).parent(refs.document);
            l.children().items(g.iter().map(|b| refs.block(*b)));
            l.finish();
        }
        let mut doc = pdf.struct_element(refs.document);
        doc.kind(StructRole::Document).parent(refs.root);
        doc.children().items(top);
        doc.finish();

        for (b, role) in roles.iter().enumerate() {
            let Some(&(first_page, _)) = self.pieces[b].first() else {
                continue;
            };
            let mut el = pdf.struct_element(refs.block(b));
            el.kind(role.struct_role())
                .parent(parent_of[b])
                .page(pages[first_page]);
            let mut kids = el.children();
            for &(page, mcid) in &self.pieces[b] {
                kids.marked_content_ref()
                    .marked_content_id(mcid)
                    .page(pages[page]);
            }
            kids.finish();
            el.finish();
        }

        for (page, owners) in self.owners.iter().enumerate() {
            pdf.indirect(refs.parents(page))
                .array()
                .items(owners.iter().map(|b| refs.block(*b)));
        }
    }
}
