// The message's tags: each a link to the inbox filtered by it (tag:name), each removable, and
// new ones added, all through Mailpit's PUT /api/v1/tags (IDs, and the whole new list of
// Tags). The server cleans names (letters, digits, spaces, - _ . @) and sorts them, so the
// list is redrawn from what it then says the message carries, never from what was typed.
// Tag names reach the page through textContent only.
"use strict";
(() => {
  const root = document.body.dataset.root;
  const id = document.querySelector(".view").dataset.id;
  const list = document.getElementById("tags");
  const form = document.getElementById("add-tag");
  const input = form.elements.tag;
  const known = document.getElementById("known-tags");
  const busy = document.getElementById("busy");
  let tags = [...list.querySelectorAll(".untag")].map((button) => button.dataset.tag);

  // As web/messagepage.py's tag_search writes it (tags hold no quotes).
  const search = (tag) => `${root}?${new URLSearchParams({ q: tag.includes(" ") ? `tag:"${tag}"` : `tag:${tag}` })}`;

  function draw() {
    list.replaceChildren(...tags.map((tag) => {
      const link = Object.assign(document.createElement("a"), {
        className: "tag", href: search(tag), textContent: tag, title: `Messages tagged ${tag}`,
      });
      const remove = Object.assign(document.createElement("button"), {
        type: "button", className: "untag", textContent: "×", title: "Remove tag",
      });
      remove.dataset.tag = tag;
      remove.setAttribute("aria-label", `Remove tag ${tag}`);
      const item = document.createElement("li");
      item.append(link, remove);
      return item;
    }));
  }

  const answer = async (response) => {
    if (!response.ok) throw new Error(`${response.status} ${(await response.text()).slice(0, 200)}`);
    return response;
  };
  let cleared;
  async function save(wanted, label) {
    const controls = [...form.elements, ...list.querySelectorAll("button")];
    controls.forEach((c) => { c.disabled = true; });
    clearTimeout(cleared);
    busy.textContent = label;
    try {
      await answer(await fetch(`${root}api/v1/tags`, {
        method: "PUT", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ IDs: [id], Tags: wanted }),
      }));
      const message = await (await answer(await fetch(`${root}api/v1/message/${encodeURIComponent(id)}`))).json();
      tags = message.Tags;
      draw();
      delete known.dataset.state;  // the tags in use changed: offered afresh next time
      busy.textContent = tags.length ? `Tags: ${tags.join(", ")}.` : "No tags.";
      cleared = setTimeout(() => { busy.textContent = ""; }, 4000);
      return true;
    } catch (error) {
      busy.textContent = `Failed: ${error.message}`;
      return false;
    } finally {
      controls.forEach((c) => { c.disabled = false; });
    }
  }

  list.addEventListener("click", async (event) => {
    const remove = event.target.closest(".untag");
    if (!remove) return;
    const at = tags.indexOf(remove.dataset.tag);
    if (await save(tags.filter((tag) => tag !== remove.dataset.tag), `Removing ${remove.dataset.tag}…`)) {
      // Focus stays in the list (on the next tag's button), or goes to the new-tag field.
      const buttons = list.querySelectorAll(".untag");
      (buttons[Math.min(at, buttons.length - 1)] || input).focus();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const tag = input.value.trim();
    if (tag && await save([...tags, tag], `Adding ${tag}…`)) input.value = "";
    input.focus();
  });
  // The tags in use, offered as the field is first used.
  input.addEventListener("focus", async () => {
    if (known.dataset.state) return;
    known.dataset.state = "loaded";
    try {
      const all = await (await answer(await fetch(`${root}api/v1/tags`))).json();
      known.replaceChildren(...all.map((tag) => Object.assign(document.createElement("option"), { value: tag })));
    } catch {
      delete known.dataset.state;
    }
  });
  form.hidden = false;  // editing needs this script; without it the tags are links only
})();
