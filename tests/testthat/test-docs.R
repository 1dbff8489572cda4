# The man pages: examples that show their values, Details sections that read
# from their first sentence, and the resume call keras3 users need.

# The Rd files of the source tree beside the tests, or of the installed
# package (inside R CMD check).
man_pages <- function() {
  source <- testthat::test_path("..", "..")
  if (file.exists(file.path(source, "DESCRIPTION")) && dir.exists(file.path(source, "man"))) {
    return(tools::Rd_db(dir = source))
  }
  tools::Rd_db("kerasclr")
}

rd_lines <- function(rd, convert) {
  path <- tempfile()
  on.exit(unlink(path))
  convert(rd, path)
  if (file.exists(path)) readLines(path, warn = FALSE) else character()
}

rd_text <- function(rd) {
  rd_lines(rd, function(rd, out) {
    tools::Rd2txt(rd, out = out, options = list(underline_titles = FALSE))
  })
}

test_that("examples run under @examplesIf, so that their values show", {
  pages <- man_pages()
  expect_true(length(pages) > 20)
  for (name in names(pages)) {
    code <- rd_lines(pages[[name]], function(rd, out) tools::Rd2ex(rd, out = out))
    # `if (kerasclr_available()) { ... }` prints nothing: the example is one
    # expression whose value is never shown.
    expect_false(any(grepl("^if \\(kerasclr_available\\(\\).*\\) \\{$", code)),
                 label = paste(name, "wraps its examples in if () { }"))
  }
  code <- rd_lines(pages[["save_clr_state.Rd"]], function(rd, out) tools::Rd2ex(rd, out = out))
  expect_true(any(grepl("^if \\(kerasclr_available\\(\\)\\) .*withAutoprint.*# examplesIf$",
                        code)))
})

test_that("every Details section starts with a sentence", {
  pages <- man_pages()
  details <- 0L
  for (name in names(pages)) {
    text <- rd_text(pages[[name]])
    at <- which(text == "Details:")
    if (!length(at)) {
      next
    }
    details <- details + 1L
    lines <- trimws(text[-seq_len(at[[1]])])
    first <- lines[nzchar(lines)][[1]]
    expect_match(first, "^[A-Z]", label = paste(name, "Details starts with", first))
  }
  expect_true(details >= 5L)
  wsd <- rd_text(pages[["new_callback_wsd.Rd"]])
  expect_true(any(grepl("Over 'T' training iterations|Over \u2018T\u2019 training iterations",
                        wsd)))
})

test_that("the resume docs give keras3's 1-based initial_epoch", {
  text <- paste(rd_text(man_pages()[["save_clr_state.Rd"]]), collapse = " ")
  text <- gsub("\\s+", " ", text)
  expect_match(text, "initial_epoch = k + 1", fixed = TRUE)
  expect_match(text, "initial_epoch = as.integer(k)", fixed = TRUE)
  expect_no_match(text, "fit(..., initial_epoch = k)", fixed = TRUE)
})
