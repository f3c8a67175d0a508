// The search box of every page: Pagefind's UI, with Chinese searched character by character.
// tools/build_site.py indexes Chinese pages one character a word (see index_search there), so a Chinese
// query is cut the same way, and the excerpts shown lose the spaces the index put between the characters.
(() => {
  const han = "\u3400-\u9fff\uf900-\ufaff";
  const betweenHan = new RegExp(`(?<=[${han}])(?=[${han}])`, "g");
  const spaceInHan = new RegExp(`(?<=[${han}](?:</?mark>)*) (?=(?:</?mark>)*[${han}])`, "g"); // "感 </mark><mark>受"
  // Every character of the query, ranked by how often a page holds each: the pages that use the term come
  // first (an exact phrase, in quotes, would find the same pages but leave them unranked).
  const processTerm = (term) => term.replace(betweenHan, " ");
  const unspace = (text) => (typeof text === "string" ? text.replace(spaceInHan, "") : text);
  const processResult = (result) => {
    result.excerpt = unspace(result.excerpt);
    if (result.meta) result.meta.title = unspace(result.meta.title);
    for (const sub of result.sub_results || []) {
      sub.excerpt = unspace(sub.excerpt);
      sub.title = unspace(sub.title);
    }
    return result;
  };
  window.addEventListener("DOMContentLoaded", () => {
    new PagefindUI({ element: "#course-search", showSubResults: true, showImages: false, processTerm, processResult });
  });
})();
