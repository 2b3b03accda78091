// Drives foliate-js for luoshu's reading-system tests (tests/e2e/test_reading_systems.py).
//
// window.luoshu.open(url) opens an EPUB; the other functions go to a place in the book and
// measure what the reader shows there, in the section's own document (its iframe): where each
// photo and its caption fall among the screens ("pages") of the paginated section, and which
// elements are larger than a screen.
import './node_modules/foliate-js/view.js'

const view = document.createElement('foliate-view')
document.body.append(view)

const settle = () => new Promise(resolve =>
    requestAnimationFrame(() => requestAnimationFrame(resolve)))

const current = () => view.renderer.getContents()[0]

const open = async url => {
    await view.open(url)
    view.renderer.setAttribute('flow', 'paginated')
    const book = view.book
    return {
        sections: book.sections.length,
        dir: book.dir,
        toc: flatten(book.toc ?? []).map(item => item.href),
        pageList: (book.pageList ?? []).map(item => ({ label: item.label, href: item.href })),
        title: book.metadata?.title,
    }
}

const flatten = items => items.flatMap(item => [item, ...flatten(item.subitems ?? [])])

// Go to a section (by index) or an href, and wait until its fonts are in and laid out.
const show = async target => {
    const resolved = typeof target === 'number'
        ? await view.goTo(target) : await view.goTo(target)
    if (resolved === undefined) return null
    const { doc, index } = current()
    await doc.fonts.ready
    await settle()
    return { index, resolved: true }
}

// The screen (page) of the section a rectangle starts and ends on.
const geometry = doc => {
    const renderer = view.renderer
    const vertical = doc.defaultView.getComputedStyle(doc.body).writingMode.startsWith('vertical')
    const size = renderer.size
    const root = doc.documentElement.getBoundingClientRect()
    return { vertical, size, root }
}

const pagesOf = (rect, { vertical, size, root }) => {
    const start = vertical ? rect.top - root.top : rect.left - root.left
    const end = vertical ? rect.bottom - root.top : rect.right - root.left
    return [Math.floor(start / size), Math.floor((end - 1) / size)]
}

// Photos and captions: the screens each is on.
const figures = () => {
    const { doc, index } = current()
    const g = geometry(doc)
    return Array.from(doc.querySelectorAll('figure'), figure => {
        const img = figure.querySelector('img, svg')
        const caption = figure.querySelector('figcaption')
        const box = el => el ? el.getBoundingClientRect() : null
        return {
            section: index,
            id: figure.id,
            img: img ? pagesOf(box(img), g) : null,
            caption: caption ? pagesOf(box(caption), g) : null,
            imgSize: img ? [Math.round(box(img).width), Math.round(box(img).height)] : null,
            loaded: img && img.tagName.toLowerCase() === 'img' ? img.complete && img.naturalWidth > 0 : true,
        }
    })
}

// Elements whose box (or a fragment of it, for blocks split across screens) is larger than a
// screen, or that reach outside the text area across the pages' direction.
const oversized = () => {
    const { doc } = current()
    const g = geometry(doc)
    const html = doc.documentElement
    const cross = g.vertical ? html.clientWidth : html.clientHeight
    const problems = []
    for (const el of doc.body.querySelectorAll('*')) {
        for (const rect of el.getClientRects()) {
            if (!rect.width && !rect.height) continue
            const along = g.vertical ? rect.height : rect.width
            const lo = g.vertical ? rect.left - g.root.left : rect.top - g.root.top
            const hi = g.vertical ? rect.right - g.root.left : rect.bottom - g.root.top
            if (along > g.size + 0.5 || lo < -0.5 || hi > cross + 0.5) {
                problems.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
                    `${el.className ? '.' + el.className : ''}: ${Math.round(rect.width)}×` +
                    `${Math.round(rect.height)} at ${Math.round(rect.left)},${Math.round(rect.top)}` +
                    ` (screen ${Math.round(g.size)}, across ${cross})`)
                break
            }
        }
    }
    return problems
}

// Mark one element of each role with data-luoshu-role, for the test to ask Chromium which
// fonts drew it (DevTools' CSS.getPlatformFontsForNode).
const markRoles = () => {
    const { doc } = current()
    const selectors = {
        body: 'p', heading: 'h1, h2, h3', caption: 'figcaption .caption, figcaption',
        code: 'pre, code', emphasis: 'em',
    }
    const marked = {}
    for (const [role, selector] of Object.entries(selectors)) {
        const el = Array.from(doc.querySelectorAll(selector)).find(e => e.textContent.trim())
        if (el) { el.setAttribute('data-luoshu-role', role); marked[role] = el.textContent.trim().slice(0, 20) }
    }
    return marked
}

// What the reader shows at the current place: the page-list entry and the text in view.
const location = () => ({
    page: view.lastLocation?.pageItem?.label ?? null,
    toc: view.lastLocation?.tocItem?.label ?? null,
    section: current().index,
})

// Does a TOC or page-list href lead to an element the reader shows?
const reach = async href => {
    const resolved = await view.goTo(href)
    if (!resolved) return { ok: false, why: 'not resolved' }
    const { doc, index } = current()
    await settle()
    if (index !== resolved.index) return { ok: false, why: `section ${index}, not ${resolved.index}` }
    const fragment = href.split('#')[1]
    if (!fragment) return { ok: true }
    const el = doc.getElementById(decodeURIComponent(fragment))
    if (!el) return { ok: false, why: `no #${fragment}` }
    const g = geometry(doc)
    const [page] = pagesOf(el.getBoundingClientRect(), g)
    const shown = view.renderer.page - 1  // the paginator keeps a blank screen before the first
    return page === shown ? { ok: true } : { ok: false, why: `#${fragment} on screen ${page}, reader shows ${shown}` }
}

// Show the screen an element of the current section is on (a photo, for the docs' pictures).
const showElement = async id => {
    const { doc, index } = current()
    await view.renderer.goTo({ index, anchor: d => d.getElementById(id) })
    await settle()
    return Boolean(doc.getElementById(id))
}

window.luoshu = { open, show, figures, oversized, markRoles, location, reach, showElement }
window.luoshuReady = true
